import Foundation

/// One HTTP request as the client sends it: the transport adds nothing but framing.
public struct TransportRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: Data
    /// How long the whole exchange may take.
    public var timeout: Duration

    public init(method: String, url: String, headers: [(String, String)] = [], body: Data = Data(),
                timeout: Duration = .seconds(60)) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// One HTTP response, whatever its status (redirects are never followed: 308 is an upload's answer).
public struct TransportResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Data

    public init(status: Int, headers: [(String, String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header of that name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// Sends requests: AsyncHTTPClient in production, anything in tests.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the response for any status; throws `TransportError` when no
    /// response arrived.
    func send(_ request: TransportRequest) async throws -> TransportResponse
}

/// No HTTP response: the connection failed, broke or took too long.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as far as retrying is concerned.
    public enum Kind: Sendable, Equatable {
        /// Nothing listened (connection refused, host unreachable, DNS failure).
        case connectionFailed
        /// The connection closed or reset before the whole response arrived.
        case connectionLost
        /// Connecting or answering took longer than allowed.
        case timeout
        /// Anything else (bad URL, TLS failure, client shut down): not retried.
        case other
    }

    public var kind: Kind
    /// What the underlying library said; never holds headers or tokens.
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String {
        switch kind {
        case .connectionFailed: return "could not connect (\(detail))"
        case .connectionLost: return "the connection was lost (\(detail))"
        case .timeout: return "timed out (\(detail))"
        case .other: return detail
        }
    }
}
