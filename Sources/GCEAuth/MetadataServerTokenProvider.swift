import GCEClient
import Foundation

/// Access tokens of the instance's service account from the GCE metadata server, cached until
/// 60 s before expiry.
public struct MetadataServerTokenProvider: AccessTokenProvider, CustomStringConvertible {
    /// The metadata server's host (`metadata.google.internal`, or `GCE_METADATA_HOST`).
    public let host: String
    let transport: TokenTransport
    let cache: TokenCache

    public static let defaultHost = "metadata.google.internal"
    static let tokenPath = "/computeMetadata/v1/instance/service-accounts/default/token"

    public init(host: String = MetadataServerTokenProvider.defaultHost, transport: TokenTransport = HTTPTransportTokenTransport.shared,
                now: @escaping @Sendable () -> Date = Date.init) {
        self.host = host
        self.transport = transport
        cache = TokenCache(now: now)
    }

    public var description: String { "the metadata server \(host)" }

    public func accessToken() async throws -> String {
        let request = TokenRequest(method: "GET", url: "http://\(host)\(Self.tokenPath)", headers: ["Metadata-Flavor": "Google"],
                                   timeoutSeconds: 10)
        let (transport, endpoint) = (self.transport, "the metadata server \(host)")
        return try await cache.token { _ in
            try await IssuedToken.fetch(request, via: transport, endpoint: endpoint,
                                        hint: "check that the instance has a service account with the cloud-platform scope")
        }
    }
}
