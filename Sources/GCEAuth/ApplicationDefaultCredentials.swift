import GCEClient
import Foundation
import ImageBuilder

/// A target's credentials: the provider to ask for tokens, where it gets them, and warnings the
/// executable should show (a key file others can read).
public struct Credentials: Sendable {
    public let provider: any AccessTokenProvider
    public let source: CredentialSource
    public let warnings: [AuthWarning]

    /// The provider for `source`: reads the key or token file now, so a bad file fails here.
    public init(source: CredentialSource, transport: TokenTransport = HTTPTransportTokenTransport.shared,
                runner: CommandRunner = SystemCommandRunner(), now: @escaping @Sendable () -> Date = Date.init) throws {
        self.source = source
        switch source {
        case .localPlaneToken(let path):
            let (token, warning) = try LocalPlaneToken.load(path: path)
            provider = token
            warnings = warning.map { [$0] } ?? []
        case .serviceAccountKey(let path):
            let (key, warning) = try ServiceAccountKey.load(path: path)
            provider = ServiceAccountTokenProvider(key: key, transport: transport, now: now)
            warnings = warning.map { [$0] } ?? []
        case .metadataServer(let host):
            provider = MetadataServerTokenProvider(host: host, transport: transport, now: now)
            warnings = []
        case .gcloud(let executable):
            provider = GcloudTokenProvider(executable: executable, runner: runner, now: now)
            warnings = []
        }
    }

    /// Chooses the source from `facts` (application-default order) and makes its provider.
    public init(facts: CredentialFacts, transport: TokenTransport = HTTPTransportTokenTransport.shared) throws {
        try self.init(source: try CredentialChooser.choose(facts), transport: transport)
    }
}
