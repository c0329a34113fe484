import Foundation
import Logging

/// Sends authorized JSON requests with retries: the one place that talks to the transport. Adds
/// the bearer token (never logged, never put in errors), retries transient failures according to
/// the `RetryPolicy` with the `ClientClock`, and turns error answers into `GCEAPIError`.
public struct RESTClient: Sendable {
    public let transport: any HTTPTransport
    public let tokens: any AccessTokenProvider
    public let retry: RetryPolicy
    public let clock: ClientClock
    let logger: Logger?

    public init(transport: any HTTPTransport, tokens: any AccessTokenProvider, retry: RetryPolicy = .standard,
                clock: ClientClock = .system, logger: Logger? = nil) {
        self.transport = transport
        self.tokens = tokens
        self.retry = retry
        self.clock = clock
        self.logger = logger
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Sends a request, retrying transient failures; returns the answer if its status is 2xx or in
    /// `accepting`, throws `GCEAPIError` for other statuses and `GCEClientError.unreachable` when no
    /// answer came. `label` names the request in logs and errors (method and path, no query).
    public func send(_ method: String, _ url: String, query: [(String, String)] = [], headers: [(String, String)] = [],
                     body: Data = Data(), timeout: Duration = .seconds(60), accepting: Set<Int> = [],
                     policy: RetryPolicy? = nil, budget: Duration? = nil) async throws -> TransportResponse {
        let policy = policy ?? retry
        let label = Self.label(method, url)
        let start = clock.now()
        var failures = 0
        while true {
            try Task.checkCancellation()
            let failure: AttemptFailure
            let thrown: any Error
            do {
                let token = try await tokens.accessToken()
                var all = headers
                all.append(("Authorization", "Bearer \(token)"))
                all.append(("User-Agent", "sortie-gce-client"))
                var attemptTimeout = timeout
                if let budget { attemptTimeout = min(timeout, max(budget - (clock.now() - start), .seconds(1))) }
                let request = TransportRequest(method: method, url: url + PathEncoding.query(query), headers: all, body: body,
                                          timeout: attemptTimeout)
                let response = try await transport.send(request)
                logger?.debug("\(label) -> \(response.status)")
                if (200..<300).contains(response.status) || accepting.contains(response.status) { return response }
                let error = GCEAPIError.parse(status: response.status, body: response.body, request: label)
                failure = .status(response.status, reason: error.reason, retryAfter: Self.retryAfter(response))
                thrown = error
            } catch let error as TransportError {
                failure = .transport(error.kind)
                thrown = GCEClientError.unreachable(request: label, error, attempts: failures + 1)
            }
            failures += 1
            switch policy.decide(failure, failedAttempts: failures, elapsed: clock.now() - start, budget: budget,
                                 jitter: clock.random()) {
            case .giveUp:
                throw thrown
            case .retry(let wait):
                logger?.info("\(label) failed (\(Self.describe(failure))); attempt \(failures + 1) in \(wait)")
                try await clock.sleep(wait)
            }
        }
    }

    /// Sends a JSON body (if any) and decodes a JSON answer.
    public func json<Response: Decodable>(_ method: String, _ url: String, query: [(String, String)] = [],
                                          body: (any Encodable)? = nil, timeout: Duration = .seconds(60),
                                          budget: Duration? = nil, as type: Response.Type = Response.self) async throws -> Response {
        var headers: [(String, String)] = [("Accept", "application/json")]
        var data = Data()
        if let body {
            data = try Self.encoder.encode(body)
            headers.append(("Content-Type", "application/json; charset=UTF-8"))
        }
        let response = try await send(method, url, query: query, headers: headers, body: data, timeout: timeout, budget: budget)
        return try Self.decode(Response.self, response, label: Self.label(method, url))
    }

    /// Decodes an answer's JSON body; an unreadable body is a `GCEClientError.unexpectedResponse`.
    static func decode<Response: Decodable>(_ type: Response.Type, _ response: TransportResponse, label: String) throws -> Response {
        do {
            return try JSONDecoder().decode(Response.self, from: response.body.isEmpty ? Data("{}".utf8) : response.body)
        } catch {
            throw GCEClientError.unexpectedResponse(request: label, status: response.status, detail: "\(error)")
        }
    }

    /// `POST compute/v1/projects/p/global/images`: method and path without scheme, host or query.
    static func label(_ method: String, _ url: String) -> String {
        var path = Substring(url)
        if let scheme = path.range(of: "://") {
            path = path[scheme.upperBound...]
            path = path.firstIndex(of: "/").map { path[path.index(after: $0)...] } ?? ""
        }
        if let q = path.firstIndex(of: "?") { path = path[..<q] }
        return "\(method) \(path)"
    }

    static func retryAfter(_ response: TransportResponse) -> Duration? {
        response.header("Retry-After").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }.map { .seconds($0) }
    }

    static func describe(_ failure: AttemptFailure) -> String {
        switch failure {
        case .status(let status, let reason, _): return "\(status)\(reason.map { " \($0)" } ?? "")"
        case .transport(let kind): return "\(kind)"
        }
    }
}
