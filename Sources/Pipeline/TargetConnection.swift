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
    let transport: AsyncHTTPClientTransport

    /// Chooses credentials in application-default order (the local plane's token file for the
    /// local target) and opens a client on the target's endpoints.
    public init(target: Target, environment: [String: String], localTokenPath: String, logger: Logger? = nil) throws {
        self.target = target
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
        let api: GCETarget
        if let endpoint = target.endpoint?.value {
            api = GCETarget(project: target.project.value, computeRoot: endpoint, storageRoot: endpoint)
        } else {
            api = .google(project: target.project.value)
        }
        client = GCEClient(target: api, tokens: credentials.provider, transport: transport, logger: logger)
    }

    public func close() async {
        try? await transport.shutdown()
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
