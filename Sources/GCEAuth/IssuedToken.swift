import Foundation

/// An access token with its lifetime, as the token endpoint or the metadata server answers
/// (`{"access_token": ..., "expires_in": 3599, "token_type": "Bearer"}`).
struct IssuedToken: Sendable, CustomStringConvertible {
    let accessToken: String
    /// Seconds from the request until the token expires.
    let expiresIn: TimeInterval

    var description: String { "access token (expires in \(Int(expiresIn)) s)" }

    /// Sends `request` and reads the token from a 200 answer. Any other answer becomes an
    /// `AuthError` naming `endpoint` (a description safe to print) with Google's error code and
    /// description, never the request body.
    static func fetch(_ request: TokenRequest, via transport: TokenTransport, endpoint: String, hint: String) async throws -> IssuedToken {
        let response: TokenResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw AuthError("cannot reach \(endpoint): \(error)", hint: hint)
        }
        struct Answer: Decodable {
            var access_token: String?
            var expires_in: Double?
            var error: String?
            var error_description: String?
        }
        let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body))
        guard response.status == 200 else {
            let reason = [answer?.error, answer?.error_description].compactMap { $0 }.map { String($0.prefix(200)) }
            let detail = reason.isEmpty ? "" : ": " + reason.joined(separator: ": ")
            throw AuthError("\(endpoint) refused the token request with HTTP \(response.status)\(detail)", hint: hint)
        }
        guard let token = answer?.access_token, !token.isEmpty, let expiresIn = answer?.expires_in else {
            throw AuthError("\(endpoint) answered without an access_token and expires_in", hint: hint)
        }
        return IssuedToken(accessToken: token, expiresIn: expiresIn)
    }
}
