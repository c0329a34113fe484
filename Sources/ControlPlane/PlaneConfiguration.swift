import Foundation

/// How `sortie serve` is set up.
public struct PlaneConfiguration: Sendable {
    /// Where state lives: `state.sqlite`, `token`, `blobs/`, `uploads/`, `images/`, `instances/`.
    public var dataDirectory: String
    /// The address clients use, e.g. `http://127.0.0.1:8765`, for `selfLink`s and upload URLs.
    public var baseURL: String
    /// Zones served, all in one region named by dropping the zone's last `-x`.
    public var zones: [String] = ["local1-a"]
    /// At most this many instances running at once.
    public var maxInstances: Int = 8
    /// At most this much guest memory in total, MiB.
    public var maxMemoryMiB: Int = 8192
    /// Each guest gets at most this much memory, whatever its machine type says.
    public var guestMemoryCapMiB: Int = 512
    /// QEMU acceleration for guests.
    public var accelerator: String = "tcg"
    /// The autoscaler's scale-in stabilisation window (GCE: 10 minutes); shorter for tests.
    public var autoscalerStabilizationSec: Double = 600
    /// Append every API exchange to this file as a JSON line (for conformance tests).
    public var exchangeLog: String?
    /// Test-only faults to inject into chosen requests (`--inject-faults`).
    public var faults: FaultInjection?

    public init(dataDirectory: String, baseURL: String) {
        self.dataDirectory = dataDirectory
        self.baseURL = baseURL
    }

    public var regions: [String] { Array(Set(zones.map(Self.region(ofZone:)))).sorted() }

    public static func region(ofZone zone: String) -> String {
        guard let dash = zone.lastIndex(of: "-") else { return zone }
        return String(zone[..<dash])
    }
}
