import AsyncHTTPClient
import NIOCore

/// Sends token requests with AsyncHTTPClient's shared client.
public struct HTTPClientTokenTransport: TokenTransport {
    let client: HTTPClient
    /// The largest answer read; token answers are a few hundred bytes.
    static let maximumBody = 1 << 20

    public init(client: HTTPClient = .shared) {
        self.client = client
    }

    public func send(_ request: TokenRequest) async throws -> TokenResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = .init(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if !request.body.isEmpty { outgoing.body = .bytes(ByteBuffer(bytes: request.body)) }
        let response = try await client.execute(outgoing, timeout: .milliseconds(Int64(request.timeoutSeconds * 1000)))
        let body = try await response.body.collect(upTo: Self.maximumBody)
        return TokenResponse(status: Int(response.status.code), body: Array(buffer: body))
    }
}
