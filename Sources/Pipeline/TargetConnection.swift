import DeployConfig
import Foundation
import GCEAuth
import GCEClient
import Logging

/// A target's API client with its credentials, and the scope its group lives in. Close it when done.
public final class TargetConnection: Sendable {
    public let target: Target
    public let client: GCEClient
    /// Where the credentials came from, for the summary (never the secret itself).
    public let credentialSource: String
    /// Warnings about the credentials (a key file others can read).
    public let warnings: [String]
    /// Time for the deploy's own waiting (rollout polling and deadlines); tests pass a manual one.
    public let clock: ClientClock
    /// The HTTP transport under the client (also used for plain requests through the load balancer).
    let transport: any HTTPTransport
    /// The transport this connection opened and must shut down (none when it was given one).
    private let owned: AsyncHTTPClientTransport?

    /// Chooses credentials in application-default order (the local plane's token file for the
    /// local target) and opens a client on the target's endpoints.
    public init(target: Target, environment: [String: String], localTokenPath: String, logger: Logger? = nil) throws {
        self.target = target
        clock = .system
        let facts = CredentialFacts.gather(environment: environment, isLocalPlane: target.isLocalPlane, localTokenPath: localTokenPath)
        let transport = AsyncHTTPClientTransport()
        let credentials: Credentials
        do {
            credentials = try Credentials(facts: facts, transport: HTTPTransportTokenTransport(transport))
        } catch {
            try? transport.shutdownNow()
            throw error
        }
        credentialSource = credentials.source.description
        warnings = credentials.warnings.map(\.description)
        self.transport = transport
        owned = transport
        let api: GCETarget
        if let endpoint = target.endpoint?.value {
            api = GCETarget(project: target.project.value, computeRoot: endpoint, storageRoot: endpoint)
        } else {
            api = .google(project: target.project.value)
        }
        client = GCEClient(target: api, tokens: credentials.provider, transport: transport, logger: logger)
    }

    /// A connection over a given client and clock, for tests of the deploy flow without a network
    /// (a scripted `HTTPTransport` and a manual `ClientClock` under the `GCEClient`).
    public init(target: Target, client: GCEClient, transport: any HTTPTransport, clock: ClientClock) {
        self.target = target
        self.client = client
        self.transport = transport
        self.clock = clock
        credentialSource = "test"
        warnings = []
        owned = nil
    }

    public func close() async {
        try? await owned?.shutdown()
    }

    /// The zone or region of the group (and of its autoscaler).
    public var scope: ComputeScope {
        switch target.location {
        case .zone(let zone): .zone(zone.value)
        case .region(let region): .region(region.value)
        }
    }

    public var compute: ComputeClient { client.compute }
}
