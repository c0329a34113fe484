/// A Cloud Storage object's metadata. `md5Hash` and `crc32c` are base64 (CRC32C big-endian).
public struct StorageObject: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String
    public var bucket: String?
    public var size: Int64String?
    public var generation: Int64String?
    public var metageneration: Int64String?
    public var contentType: String?
    public var md5Hash: String?
    public var crc32c: String?
    public var metadata: [String: String]?
    public var timeCreated: String?
    public var updated: String?
    public var selfLink: String?
    public var mediaLink: String?

    public init(name: String, contentType: String? = nil) {
        self.name = name
        self.contentType = contentType
    }
}

/// One page of `objects.list`.
public struct StorageObjectList: Codable, Sendable {
    public var items: [StorageObject]?
    public var prefixes: [String]?
    public var nextPageToken: String?
}

/// A Cloud Storage bucket.
public struct Bucket: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String
    public var location: String?
    public var storageClass: String?
    public var labels: [String: String]?
    public var timeCreated: String?
    public var selfLink: String?

    public init(name: String, location: String? = nil, labels: [String: String]? = nil) {
        self.name = name
        self.location = location
        self.labels = labels
    }
}
