import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

@testable import LoadBalancer

/// A small HTTP/1.1 server standing in for an instance: answers with its own id.
///
/// Paths: `/` (body: the id), `/slow/MS` (answers after MS milliseconds), `/hold` (answers once
/// `release()` has been called: in flight for as long as a test needs, however busy the machine), `/big/N` (N bytes with
/// Content-Length), `/chunked/N` (N bytes, chunked). A request with a body is answered with
/// "ID BYTES". Every request header comes back as `x-echo-NAME`.
final class TestBackend: Sendable {
    struct Behaviour: Sendable {
        /// Close the connection right after each response, without saying so in the response.
        var closeAfterResponse = false
        /// Close a connection without answering when a second request arrives on it: the
        /// keep-alive race (the server timed the connection out just as the request came).
        var hangUpOnReusedConnection = false
        /// Close every connection without answering.
        var hangUpAlways = false
    }

    struct Counts: Sendable {
        var requests = 0
        var connections = 0
        var inFlight = 0
        var released = false
    }

    let id: String
    let port: Int
    let behaviour: Behaviour
    private let listener: any Channel
    private let state: NIOLockedValueBox<(counts: Counts, children: [ObjectIdentifier: any Channel])>

    var backend: Backend { Backend(id: id, host: "127.0.0.1", port: port) }
    var counts: Counts { state.withLockedValue { $0.counts } }

    private init(id: String, port: Int, behaviour: Behaviour, listener: any Channel,
                 state: NIOLockedValueBox<(counts: Counts, children: [ObjectIdentifier: any Channel])>) {
        self.id = id
        self.port = port
        self.behaviour = behaviour
        self.listener = listener
        self.state = state
    }

    static func start(_ id: String, behaviour: Behaviour = Behaviour()) async throws -> TestBackend {
        let state = NIOLockedValueBox((counts: Counts(), children: [ObjectIdentifier: any Channel]()))
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    state.withLockedValue {
                        $0.counts.connections += 1
                        $0.children[ObjectIdentifier(channel)] = channel
                    }
                    channel.closeFuture.whenComplete { _ in
                        state.withLockedValue { _ = $0.children.removeValue(forKey: ObjectIdentifier(channel)) }
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        TestBackendHandler(id: id, behaviour: behaviour, state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TestBackend(id: id, port: listener.localAddress!.port!, behaviour: behaviour, listener: listener, state: state)
    }

    /// Stops listening and closes every connection: the instance is gone.
    func stop() async {
        try? await listener.close()
        let children = state.withLockedValue { Array($0.children.values) }
        for child in children { try? await child.close() }
    }

    /// Waits (polling every few milliseconds, at most `limit`) until `condition` holds. The limit
    /// is a generous deadline for a state to be reached, not a timing assertion.
    func wait(until condition: @Sendable (Counts) -> Bool, limit: Duration = .seconds(30)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while !condition(counts) {
            guard clock.now < deadline else { throw TestFailure("backend \(id): condition not met in \(limit)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Lets every `/hold` request, present and future, be answered.
    func release() {
        state.withLockedValue { $0.counts.released = true }
    }

    /// A loopback port with nothing listening on it.
    static func deadBackend(_ id: String) async throws -> Backend {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return Backend(id: id, host: "127.0.0.1", port: port)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

private final class TestBackendHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let id: String
    let behaviour: TestBackend.Behaviour
    let state: NIOLockedValueBox<(counts: TestBackend.Counts, children: [ObjectIdentifier: any Channel])>
    private var head: HTTPRequestHead?
    private var bodyBytes = 0
    private var hasBody = false
    private var requestsOnConnection = 0
    private var inFlight = false

    init(id: String, behaviour: TestBackend.Behaviour,
         state: NIOLockedValueBox<(counts: TestBackend.Counts, children: [ObjectIdentifier: any Channel])>) {
        self.id = id
        self.behaviour = behaviour
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestsOnConnection += 1
            if behaviour.hangUpAlways || (behaviour.hangUpOnReusedConnection && requestsOnConnection > 1) {
                context.close(promise: nil)
                return
            }
            self.head = head
            bodyBytes = 0
            hasBody = false
            inFlight = true
            state.withLockedValue {
                $0.counts.requests += 1
                $0.counts.inFlight += 1
            }
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            hasBody = true
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if inFlight {
            inFlight = false
            state.withLockedValue { $0.counts.inFlight -= 1 }
        }
        context.fireChannelInactive()
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "x-backend", value: id)
        for (name, value) in head.headers {
            headers.add(name: "x-echo-\(name.lowercased())", value: value)
        }
        let parts = head.uri.split(separator: "/")
        let loop = context.eventLoop.assumeIsolated()
        switch (parts.first, parts.count > 1 ? Int(parts[1]) : nil) {
        case ("slow", let ms?):
            loop.scheduleTask(in: .milliseconds(Int64(ms))) {
                self.finish(context: context, headers: headers, body: ByteBuffer(string: self.id), chunked: false)
            }
        case ("hold", _):
            awaitRelease(context: context, headers: headers)
        case ("big", let n?):
            finish(context: context, headers: headers, body: ByteBuffer(repeating: UInt8(ascii: "x"), count: n), chunked: false)
        case ("chunked", let n?):
            finish(context: context, headers: headers, body: ByteBuffer(repeating: UInt8(ascii: "y"), count: n), chunked: true)
        default:
            let text = hasBody || head.method == .POST ? "\(id) \(bodyBytes)" : id
            finish(context: context, headers: headers, body: ByteBuffer(string: text), chunked: false)
        }
    }

    private func awaitRelease(context: ChannelHandlerContext, headers: HTTPHeaders) {
        if state.withLockedValue({ $0.counts.released }) {
            finish(context: context, headers: headers, body: ByteBuffer(string: id), chunked: false)
            return
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(5)) {
            self.awaitRelease(context: context, headers: headers)
        }
    }

    private func finish(context: ChannelHandlerContext, headers: HTTPHeaders, body: ByteBuffer, chunked: Bool) {
        guard context.channel.isActive else { return }
        var headers = headers
        if !chunked { headers.add(name: "Content-Length", value: String(body.readableBytes)) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        if chunked {
            // Several chunks, so the proxy sees a stream rather than one part.
            var rest = body
            while rest.readableBytes > 0, let slice = rest.readSlice(length: min(16_384, rest.readableBytes)) {
                context.write(wrapOutboundOut(.body(.byteBuffer(slice))), promise: nil)
            }
        } else {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        inFlight = false
        state.withLockedValue { $0.counts.inFlight -= 1 }
        if behaviour.closeAfterResponse {
            done.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
