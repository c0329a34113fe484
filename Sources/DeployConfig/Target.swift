/// A place to deploy to: the local plane (`sortie serve`) or a Google Cloud project.
///
/// The target named `local` is the local plane and needs no keys; every other target is a cloud
/// target and needs `project`, `bucket` and one of `zone` or `region`.
public struct Target: Sendable, Equatable {
    /// Where the group lives: one zone, or a region (a regional group spread over its zones).
    public enum Location: Sendable, Equatable, CustomStringConvertible {
        case zone(ConfigString)
        case region(ConfigString)

        public var description: String {
            switch self {
            case .zone(let zone): "zone \(zone)"
            case .region(let region): "region \(region)"
            }
        }
    }

    /// The target's key under `targets:`.
    public var name: String
    /// Whether this is the local plane (`sortie serve`), whose token comes from its data directory.
    public var isLocalPlane: Bool
    public var project: ConfigString
    public var location: Location
    /// The Cloud Storage bucket that holds image archives.
    public var bucket: ConfigString
    /// Default `e2-small`.
    public var machineType: ConfigString
    /// Default `default`.
    public var network: ConfigString
    /// `subnetwork`: the subnetwork (of the target's region) instances attach to; GCE requires one
    /// when `network` is a custom-mode network. Default none (auto-mode networks pick their own).
    public var subnetwork: ConfigString?
    /// `disk-size` and `disk-type`: every instance's boot disk.
    public var bootDisk: BootDisk
    /// `endpoint`: one base URL for both APIs instead of Google's (the local plane serves both);
    /// for the local plane default `http://127.0.0.1:8765`.
    public var endpoint: ConfigString?
    /// `http-port`: the port the load balancer's forwarding rule listens on; default 80. Sortie
    /// makes a global external Application Load Balancer (scheme `EXTERNAL_MANAGED`), whose
    /// forwarding rule takes any one port; only the classic scheme (`EXTERNAL`) is limited to 80
    /// and 8080.
    public var httpPort: Int

    public static let localPlaneName = "local"
    public static let localPlaneEndpoint = "http://127.0.0.1:8765"
    public static let computeEndpoint = "https://compute.googleapis.com"
    public static let storageEndpoint = "https://storage.googleapis.com"

    /// The Compute Engine API's base URL.
    public var computeEndpoint: String { endpoint?.value ?? Self.computeEndpoint }
    /// The Cloud Storage API's base URL.
    public var storageEndpoint: String { endpoint?.value ?? Self.storageEndpoint }

    static let keys = ["project", "zone", "region", "bucket", "machine-type", "network", "subnetwork", "disk-size", "disk-type",
                       "endpoint", "http-port"]

    /// The region the target is in: its own, or its zone's.
    public var region: String {
        switch location {
        case .region(let region): region.value
        case .zone(let zone): String(zone.value.split(separator: "-").dropLast().joined(separator: "-"))
        }
    }

    init(name: String, node: ConfigNode, app: String) throws {
        let map = try node.mapping(Self.keys)
        self.name = name
        isLocalPlane = name == Self.localPlaneName
        let project = map["project"], bucket = map["bucket"], zone = map["zone"], region = map["region"]
        if isLocalPlane {
            self.project = try project.optional { try $0.string() } ?? "local"
            self.bucket = try bucket.optional { try $0.string(matching: .bucket, what: "a bucket name") } ?? ConfigString("\(app)-releases")
            endpoint = try map["endpoint"].optional { try $0.string(matching: .endpoint, what: "an http:// or https:// URL") }
                ?? ConfigString(Self.localPlaneEndpoint)
        } else {
            self.project = try project.required("the Google Cloud project ID") {
                try $0.string(matching: .project, what: "a project ID (6–30 lowercase letters, digits and dashes)")
            }
            self.bucket = try bucket.required("the Cloud Storage bucket for image archives") {
                try $0.string(matching: .bucket, what: "a bucket name (3–63 lowercase letters, digits, dashes, dots and underscores)")
            }
            endpoint = try map["endpoint"].optional { try $0.string(matching: .endpoint, what: "an http:// or https:// URL") }
        }
        switch (zone.isPresent, region.isPresent) {
        case (true, true):
            throw region.error("give either zone (a zonal group) or region (a regional group), not both")
        case (false, true):
            location = .region(try region.string(matching: .region, what: "a region like \"us-west1\""))
        case (true, false):
            location = .zone(try zone.string(matching: .zone, what: "a zone like \"us-west1-a\""))
        case (false, false):
            guard isLocalPlane else {
                throw node.error("needs a zone (e.g. zone: us-west1-a) or a region (e.g. region: us-west1)")
            }
            location = .zone("local1-a")
        }
        machineType = try map["machine-type"].optional { try $0.string(matching: .machineType, what: "a machine type like \"e2-small\"") } ?? "e2-small"
        network = try map["network"].optional { try $0.string(matching: .resourceName, what: "a network name") } ?? "default"
        subnetwork = try map["subnetwork"].optional { try $0.string(matching: .resourceName, what: "a subnetwork name") }
        bootDisk = try BootDisk(size: map["disk-size"], type: map["disk-type"], machineType: machineType.value)
        httpPort = try map["http-port"].optional { try $0.int(1...65535) } ?? 80
    }
}
