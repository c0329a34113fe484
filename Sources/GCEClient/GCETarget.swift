/// Where the APIs are: Google's endpoints or a `sortie serve` address, and the project. The paths
/// below the roots are the same for both.
public struct GCETarget: Sendable, Equatable {
    /// The project every Compute path names, and that new buckets belong to.
    public var project: String
    /// Root of the Compute API, ending in `/`: `https://compute.googleapis.com/`; paths are `compute/v1/projects/...`.
    public var computeRoot: String
    /// Root of the Cloud Storage API, ending in `/`: `https://storage.googleapis.com/`; paths are
    /// `storage/v1/b/...` and `upload/storage/v1/b/...`.
    public var storageRoot: String

    public init(project: String, computeRoot: String, storageRoot: String) {
        self.project = project
        self.computeRoot = computeRoot.hasSuffix("/") ? computeRoot : computeRoot + "/"
        self.storageRoot = storageRoot.hasSuffix("/") ? storageRoot : storageRoot + "/"
    }

    /// Google Compute Engine and Cloud Storage.
    public static func google(project: String) -> GCETarget {
        GCETarget(project: project, computeRoot: "https://compute.googleapis.com/", storageRoot: "https://storage.googleapis.com/")
    }

    /// A local plane (`sortie serve`) at `address`, e.g. `http://127.0.0.1:8765`: both APIs on one address.
    public static func local(address: String, project: String = "local") -> GCETarget {
        GCETarget(project: project, computeRoot: address, storageRoot: address)
    }

    /// The URL `images.insert` wants in `rawDisk.source` for an object: always the
    /// `https://storage.googleapis.com/BUCKET/OBJECT` form, which the local plane also resolves.
    public static func imageSourceURL(bucket: String, object: String) -> String {
        "https://storage.googleapis.com/\(bucket)/\(PathEncoding.segment(object, keepSlashes: true))"
    }
}
