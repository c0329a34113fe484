import NIOCore
import NIOHTTP1
import NIOPosix

struct TestResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: ByteBuffer

    var text: String { String(buffer: body) }
    var backend: String? { headers.first(name: "x-backend") }
    func echo(_ name: String) -> String? { headers.first(name: "x-echo-\(name)") }
}

/// One HTTP/1.1 client connection, used sequentially (keep-alive).
final class TestConnection {
    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

    init(inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>, outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    func request(
        _ method: HTTPMethod = .GET,
        _ uri: String = "/",
        headers: [(String, String)] = [],
        body: ByteBuffer? = nil,
        version: HTTPVersion = .http1_1,
        host: String = "test.local"
    ) async throws -> TestResponse {
        var head = HTTPRequestHead(version: version, method: method, uri: uri)
        head.headers.add(name: "Host", value: host)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let body { head.headers.add(name: "Content-Length", value: String(body.readableBytes)) }
        try await outbound.write(.head(head))
        if let body { try await outbound.write(.body(.byteBuffer(body))) }
        try await outbound.write(.end(nil))

        var response: HTTPResponseHead?
        var collected = ByteBuffer()
        while let part = try await inbound.next() {
            switch part {
            case .head(let head):
                response = head
            case .body(var chunk):
                collected.writeBuffer(&chunk)
            case .end:
                guard let response else { throw TestFailure("end without head") }
                return TestResponse(status: response.status, headers: response.headers, body: collected)
            }
        }
        throw TestFailure("connection closed before the response ended")
    }

    /// Opens a connection to 127.0.0.1:`port`, runs `body`, closes it.
    static func with<Result: Sendable>(port: Int, _ body: (TestConnection) async throws -> Result) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(TestConnection(inbound: inbound, outbound: outbound))
        }
    }

    /// One request on its own connection.
    static func get(port: Int, _ uri: String = "/", headers: [(String, String)] = []) async throws -> TestResponse {
        try await with(port: port) { try await $0.request(.GET, uri, headers: headers) }
    }
}

/// Raw bytes over one connection: writes `request`, returns everything read until the proxy
/// closes the connection.
/// With `halfClose`, the client shuts down its sending side right after the request.
func rawExchange(port: Int, _ request: String, halfClose: Bool = false) async throws -> String {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelOption(.allowRemoteHalfClosure, value: true)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                    wrappingChannelSynchronously: channel,
                    configuration: .init(isOutboundHalfClosureEnabled: true))
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(string: request))
        if halfClose { outbound.finish() }
        var received = ""
        for try await chunk in inbound { received += String(buffer: chunk) }
        return received
    }
}
