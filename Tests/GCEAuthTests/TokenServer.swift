import Foundation
import Hummingbird
import NIOCore

/// A token endpoint (and metadata server) on loopback for the tests: it records every request
/// and answers with what the test tells it.
actor TokenServer {
    struct Recorded: Sendable {
        var method: String
        var path: String
        /// By lowercase name.
        var headers: [String: String]
        var body: String
    }

    struct Answer: Sendable {
        var status: Int
        var body: String

        static func token(_ token: String, expiresIn: Int = 3600) -> Answer {
            Answer(status: 200, body: #"{"access_token":"\#(token)","expires_in":\#(expiresIn),"token_type":"Bearer"}"#)
        }
    }

    private(set) var requests: [Recorded] = []
    private var answers: [Answer] = []

    /// Queues the answers to the next requests (the last one repeats).
    func answer(_ answers: Answer...) { self.answers = answers }

    func record(_ request: Recorded) -> Answer {
        requests.append(request)
        return answers.count > 1 ? answers.removeFirst() : answers.first ?? Answer(status: 500, body: "no answer queued")
    }

    /// Runs `body` with the server's base URL (`http://127.0.0.1:PORT`), then stops the server.
    func serve(_ body: @Sendable (String) async throws -> Void) async throws {
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let router = Router()
        router.post("token", use: handle)
        router.get("computeMetadata/v1/instance/service-accounts/default/token", use: handle)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) })
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { return }
        try await body("http://127.0.0.1:\(port)")
    }

    nonisolated func handle(_ request: Request, context: BasicRequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let answer = await record(Recorded(method: request.method.rawValue, path: request.uri.path, headers: headers,
                                           body: String(buffer: body)))
        return Response(status: .init(code: answer.status), headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: answer.body)))
    }
}

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_750_000_000)) { current = start }

    var now: Date { lock.withLock { current } }

    func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
}
