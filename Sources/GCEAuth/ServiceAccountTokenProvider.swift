import GCEClient
import Foundation

/// Access tokens for a service-account key: a signed JWT exchanged at the key's `token_uri`
/// (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`), cached until 60 s before expiry.
public struct ServiceAccountTokenProvider: AccessTokenProvider, CustomStringConvertible {
    public let key: ServiceAccountKey
    let scope: String
    let transport: TokenTransport
    let cache: TokenCache

    public init(key: ServiceAccountKey, scope: String = ServiceAccountJWT.cloudPlatformScope,
                transport: TokenTransport = HTTPTransportTokenTransport.shared, now: @escaping @Sendable () -> Date = Date.init) {
        self.key = key
        self.scope = scope
        self.transport = transport
        cache = TokenCache(now: now)
    }

    public var description: String { "\(key)" }

    /// The form body Google's token endpoint expects for a JWT assertion.
    static func formBody(assertion: String) -> String {
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + assertion
    }

    public func accessToken() async throws -> String {
        let (key, scope, transport) = (self.key, self.scope, self.transport)
        return try await cache.token { issuedAt in
            let assertion = try ServiceAccountJWT.assertion(key: key, scope: scope, issuedAt: issuedAt)
            let request = TokenRequest(method: "POST", url: key.tokenURI,
                                       headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                       body: Array(Self.formBody(assertion: assertion).utf8))
            return try await IssuedToken.fetch(request, via: transport, endpoint: "the token endpoint \(key.tokenURI)",
                                               hint: "check that the \(key) still exists and is enabled, and that this machine's clock is right")
        }
    }
}
