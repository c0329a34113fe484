/// A Compute Engine image (`global/images`), imported from a tar.gz in Cloud Storage.
public struct Image: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String
    public var family: String?
    public var description: String?
    public var rawDisk: RawDisk?
    public var labels: [String: String]?
    public var guestOsFeatures: [GuestOsFeature]?
    public var storageLocations: [String]?
    public var architecture: String?
    /// `PENDING`, `READY`, `FAILED` or `DELETING` (output).
    public var status: String?
    public var diskSizeGb: Int64String?
    public var archiveSizeBytes: Int64String?
    public var deprecated: DeprecationStatus?
    public var creationTimestamp: String?
    public var selfLink: String?

    public init(name: String, family: String? = nil, description: String? = nil, rawDisk: RawDisk? = nil,
                labels: [String: String]? = nil) {
        self.name = name
        self.family = family
        self.description = description
        self.rawDisk = rawDisk
        self.labels = labels
    }

    /// `Image.rawDisk`: where the archive is (`https://storage.googleapis.com/BUCKET/OBJECT`).
    public struct RawDisk: Codable, Sendable, Equatable {
        public var source: String?
        /// Only `TAR`.
        public var containerType: String?

        public init(source: String, containerType: String? = "TAR") {
            self.source = source
            self.containerType = containerType
        }
    }

    /// `{"type": "UEFI_COMPATIBLE"}` and the like.
    public struct GuestOsFeature: Codable, Sendable, Equatable {
        public var type: String

        public init(type: String) { self.type = type }
    }
}

/// An image's deprecation (`images.deprecate` body and `Image.deprecated`).
public struct DeprecationStatus: Codable, Sendable, Equatable {
    /// `ACTIVE`, `DEPRECATED`, `OBSOLETE` or `DELETED`.
    public var state: String?
    /// URL of the image that replaces this one.
    public var replacement: String?
    public var deprecated: String?
    public var obsolete: String?
    public var deleted: String?

    public init(state: String? = nil, replacement: String? = nil) {
        self.state = state
        self.replacement = replacement
    }
}
