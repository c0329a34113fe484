import Foundation
import GCEModel

/// The Cloud Storage JSON API: buckets, object metadata, listing, deletion and resumable
/// uploads (see `StorageClient+Upload`). Works the same against Google and `sortie serve`.
public struct StorageClient: Sendable {
    public let rest: RESTClient
    public let target: GCETarget

    public init(rest: RESTClient, target: GCETarget) {
        self.rest = rest
        self.target = target
    }

    func bucketURL(_ bucket: String) -> String {
        target.storageRoot + "storage/v1/b/" + PathEncoding.segment(bucket)
    }

    func objectURL(_ bucket: String, _ name: String) -> String {
        bucketURL(bucket) + "/o/" + PathEncoding.segment(name)
    }

    /// Creates a bucket in the target's project.
    public func insertBucket(_ bucket: Bucket) async throws -> Bucket {
        try await rest.json("POST", target.storageRoot + "storage/v1/b", query: [("project", target.project)], body: bucket)
    }

    /// A bucket's metadata.
    public func bucket(_ name: String) async throws -> Bucket {
        try await rest.json("GET", bucketURL(name))
    }

    /// An object's metadata (size, generation, md5Hash, crc32c).
    public func object(bucket: String, name: String) async throws -> StorageObject {
        try await rest.json("GET", objectURL(bucket, name))
    }

    /// The object's metadata, or nil if there is none of that name.
    public func objectIfExists(bucket: String, name: String) async throws -> StorageObject? {
        do {
            return try await object(bucket: bucket, name: name)
        } catch let error as GCEAPIError where error.isNotFound {
            return nil
        }
    }

    /// Every object whose name starts with `prefix`, all pages.
    public func listObjects(bucket: String, prefix: String? = nil) async throws -> [StorageObject] {
        var items: [StorageObject] = []
        var pageToken: String?
        repeat {
            var query: [(String, String)] = []
            if let prefix { query.append(("prefix", prefix)) }
            if let pageToken { query.append(("pageToken", pageToken)) }
            let page: StorageObjectList = try await rest.json("GET", bucketURL(bucket) + "/o", query: query)
            items += page.items ?? []
            pageToken = page.nextPageToken.flatMap { $0.isEmpty ? nil : $0 }
        } while pageToken != nil
        return items
    }

    /// Deletes an object (only that generation, if given). Accepts 200 or 204.
    public func deleteObject(bucket: String, name: String, ifGenerationMatch generation: Int64? = nil) async throws {
        let query = generation.map { [("ifGenerationMatch", String($0))] } ?? []
        _ = try await rest.send("DELETE", objectURL(bucket, name), query: query)
    }
}
