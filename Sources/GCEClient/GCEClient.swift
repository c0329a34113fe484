import Logging

/// The one client `sortie deploy` uses, against Google or `sortie serve`: a target (endpoints
/// and project), an access-token provider and a transport.
///
/// ```swift
/// let transport = AsyncHTTPClientTransport()
/// let client = GCEClient(target: .local(address: "http://127.0.0.1:8765", project: "demo"),
///                        tokens: StaticToken(token), transport: transport)
/// let outcome = try await client.storage.upload(file: "app.tar.gz", bucket: "b", name: "images/app.tar.gz")
/// let op = try await client.compute.images.insert(Image(name: "app-1", family: "app",
///     rawDisk: .init(source: GCETarget.imageSourceURL(bucket: "b", object: "images/app.tar.gz"))))
/// _ = try await client.compute.wait(for: op, timeout: .seconds(1200))
/// try await transport.shutdown()
/// ```
public struct GCEClient: Sendable {
    public let target: GCETarget
    public let rest: RESTClient

    public init(target: GCETarget, tokens: any AccessTokenProvider, transport: any HTTPTransport,
                retry: RetryPolicy = .standard, clock: ClientClock = .system, logger: Logger? = nil) {
        self.target = target
        rest = RESTClient(transport: transport, tokens: tokens, retry: retry, clock: clock, logger: logger)
    }

    /// Compute Engine v1 of the target's project.
    public var compute: ComputeClient { ComputeClient(rest: rest, target: target) }

    /// Cloud Storage JSON API.
    public var storage: StorageClient { StorageClient(rest: rest, target: target) }
}
