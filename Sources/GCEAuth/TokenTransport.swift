/// An HTTP request to a token endpoint or the metadata server.
public struct TokenRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [String: String]
    public var body: [UInt8]
    /// How long to wait for the whole answer.
    public var timeoutSeconds: Double

    public init(method: String, url: String, headers: [String: String] = [:], body: [UInt8] = [], timeoutSeconds: Double = 30) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutSeconds = timeoutSeconds
    }
}

/// The status and body of an answer.
public struct TokenResponse: Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// How token requests are sent: `HTTPTransportTokenTransport` (the API client's transport) in production, anything in tests.
public protocol TokenTransport: Sendable {
    /// The answer, whatever its status; throws only when there is none (connection, timeout).
    func send(_ request: TokenRequest) async throws -> TokenResponse
}
