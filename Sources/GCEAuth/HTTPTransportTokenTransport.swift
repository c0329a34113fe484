import Foundation
import GCEClient

/// Sends token requests over the API client's own `HTTPTransport`, so a deploy has one HTTP
/// client (one connection pool, one shutdown) for its tokens and its API calls.
public struct HTTPTransportTokenTransport: TokenTransport {
    let http: any HTTPTransport

    public init(_ http: any HTTPTransport) { self.http = http }

    /// One process-wide transport for callers that do not pass their own (it lives as long as the process).
    public static let shared = HTTPTransportTokenTransport(AsyncHTTPClientTransport(maxResponseBytes: 1 << 20))

    public func send(_ request: TokenRequest) async throws -> TokenResponse {
        let response = try await http.send(TransportRequest(method: request.method, url: request.url,
                                                            headers: request.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                                                            body: Data(request.body),
                                                            timeout: .milliseconds(Int64(request.timeoutSeconds * 1000))))
        return TokenResponse(status: response.status, body: Array(response.body))
    }
}
