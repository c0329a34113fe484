import Foundation
import GCEClient
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import Synchronization

/// A loopback HTTP/1.1 server for fault injection, test-only: forwards requests to an upstream
/// (the local plane) except those a rule catches, which it answers with an error, drops without
/// answering, or forwards and then drops (so the upstream acted but the client never heard).
/// Records every request's method and URI. Upstream addresses in response headers (`Location`)
/// are rewritten to the proxy's.
final class FaultProxy: Sendable {
    enum Action: Sendable {
        /// Answer with this status and a GCE error body of this reason.
        case fail(Int, reason: String)
        /// Close the connection without answering.
        case drop
        /// Forward, then close the connection without passing the answer on.
        case forwardThenDrop
    }

    struct Rule: Sendable {
        var method: String
        /// A substring of the URI.
        var uriContains: String
        var action: Action
        var times: Int
        /// Matching requests to let through before acting.
        var skip: Int
    }

    struct Seen: Sendable {
        var method: String
        var uri: String
        var injected: Bool
    }

    let port: Int
    let upstream: String
    private let listener: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let state: Mutex<(rules: [Rule], seen: [Seen])>
    private let forwarder: AsyncHTTPClientTransport
    private let acceptLoop: Mutex<Task<Void, Never>?>

    var address: String { "http://127.0.0.1:\(port)" }
    var seen: [Seen] { state.withLock { $0.seen } }

    private init(listener: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
                 upstream: String) {
        self.listener = listener
        self.port = listener.channel.localAddress!.port!
        self.upstream = upstream
        state = Mutex(([], []))
        forwarder = AsyncHTTPClientTransport()
        acceptLoop = Mutex(nil)
    }

    static func start(upstream: String) async throws -> FaultProxy {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        let proxy = FaultProxy(listener: listener, upstream: upstream)
        let task = Task { [proxy] in
            await withDiscardingTaskGroup { group in
                _ = try? await listener.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { try? await proxy.serve(connection) }
                    }
                }
            }
        }
        proxy.acceptLoop.withLock { $0 = task }
        return proxy
    }

    /// Adds a rule: after `skip` requests with this method whose URI contains `uriContains`, the
    /// next `times` such requests get `action` (the first rule that acts wins; every rule counts).
    func inject(_ action: Action, method: String, uriContains: String, times: Int = 1, skip: Int = 0) {
        state.withLock { $0.rules.append(Rule(method: method, uriContains: uriContains, action: action, times: times, skip: skip)) }
    }

    /// Runs `body` with a proxy in front of `upstream`, then stops it.
    static func with<T>(upstream: String, _ body: (FaultProxy) async throws -> T) async throws -> T {
        let proxy = try await start(upstream: upstream)
        do {
            let result = try await body(proxy)
            await proxy.stop()
            return result
        } catch {
            await proxy.stop()
            throw error
        }
    }

    func stop() async {
        try? await listener.channel.close()
        acceptLoop.withLock { $0?.cancel() }
        try? await forwarder.shutdown()
    }

    private func takeAction(method: String, uri: String) -> Action? {
        state.withLock { state in
            var action: Action?
            for index in state.rules.indices where state.rules[index].method == method && uri.contains(state.rules[index].uriContains) {
                if state.rules[index].skip > 0 {
                    state.rules[index].skip -= 1
                } else if action == nil, state.rules[index].times > 0 {
                    state.rules[index].times -= 1
                    action = state.rules[index].action
                }
            }
            state.seen.append(Seen(method: method, uri: uri, injected: action != nil))
            return action
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body.clear()
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let head else { return }
                    let method = head.method.rawValue
                    switch takeAction(method: method, uri: head.uri) {
                    case .fail(let status, let reason)?:
                        let text = #"{"error":{"code":\#(status),"message":"injected \#(reason)","errors":[{"domain":"global","reason":"\#(reason)","message":"injected"}]}}"#
                        try await respond(outbound, status: status, headers: [("Content-Type", "application/json")], body: Data(text.utf8))
                    case .drop?:
                        return
                    case .forwardThenDrop?:
                        _ = try? await forward(head, body)
                        return
                    case nil:
                        do {
                            let response = try await forward(head, body)
                            try await respond(outbound, status: response.status, headers: response.headers, body: response.body)
                        } catch {
                            return
                        }
                    }
                }
            }
        }
    }

    private func forward(_ head: HTTPRequestHead, _ body: ByteBuffer) async throws -> TransportResponse {
        let skip: Set<String> = ["host", "content-length", "connection", "transfer-encoding"]
        let headers = head.headers.filter { !skip.contains($0.name.lowercased()) }.map { ($0.name, $0.value) }
        let request = TransportRequest(method: head.method.rawValue, url: upstream + head.uri, headers: headers,
                                            body: Data(buffer: body), timeout: .seconds(200))
        var response = try await forwarder.send(request)
        response.headers = response.headers.map { ($0.0, $0.1.replacingOccurrences(of: upstream, with: address)) }
        return response
    }

    private func respond(_ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, status: Int,
                         headers: [(String, String)], body: Data) async throws {
        var fields = HTTPHeaders()
        for (name, value) in headers where !["content-length", "connection", "transfer-encoding"].contains(name.lowercased()) {
            fields.add(name: name, value: value)
        }
        fields.replaceOrAdd(name: "Content-Length", value: String(body.count))
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: fields)))
        if !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(data: body)))) }
        try await outbound.write(.end(nil))
    }
}
