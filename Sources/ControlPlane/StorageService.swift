import Foundation
import HTTPTypes
import StorageChecksums

/// Cloud Storage JSON API: buckets, objects, and simple, multipart and resumable uploads.
/// Object data lives in `blobs/` under random names: object names never become paths.
final class StorageService: Sendable {
    let store: Store
    let configuration: PlaneConfiguration
    var blobDirectory: String { configuration.dataDirectory + "/blobs" }
    var uploadDirectory: String { configuration.dataDirectory + "/uploads" }

    init(store: Store, configuration: PlaneConfiguration) {
        self.store = store
        self.configuration = configuration
    }

    // MARK: Routing

    func handle(_ request: APIRequest, rest: [String], media: Bool) async throws -> APIResponse {
        switch (request.method, rest.count) {
        case ("GET", 1) where rest[0] == "b": return try listBuckets(request)
        case ("POST", 1) where rest[0] == "b": return try insertBucket(request)
        case ("GET", 2) where rest[0] == "b": return APIResponse(json: try bucket(rest[1]))
        case ("DELETE", 2) where rest[0] == "b": return try deleteBucket(rest[1])
        case ("GET", 3) where rest[0] == "b" && rest[2] == "o": return try listObjects(request, bucket: rest[1])
        case ("GET", 4) where rest[0] == "b" && rest[2] == "o":
            if media || request.query["alt"] == "media" { return try download(request, bucket: rest[1], name: rest[3]) }
            return APIResponse(json: try objectMetadata(rest[1], rest[3]))
        case ("DELETE", 4) where rest[0] == "b" && rest[2] == "o":
            _ = try bucket(rest[1])
            let blob = try store.deleteObject(rest[1], rest[3])
            unlink(blobPath(blob))
            return APIResponse(status: 204, body: Data(), headers: [:])
        default:
            throw APIError(404, "notFound", "Not Found: \(request.method) \(request.path)")
        }
    }

    // MARK: Buckets

    func bucketJSON(name: String) -> JSONValue {
        let now = Identifiers.timestamp()
        return ["kind": "storage#bucket", "id": .string(name), "name": .string(name),
                "selfLink": .string("\(configuration.baseURL)/storage/v1/b/\(name)"),
                "projectNumber": "0", "metageneration": "1", "location": "US", "locationType": "multi-region",
                "storageClass": "STANDARD", "etag": "CAE=", "timeCreated": .string(now), "updated": .string(now)]
    }

    static func validateBucketName(_ name: String) throws {
        let ok = (3...63).contains(name.count)
            && name.range(of: "^[a-z0-9][a-z0-9._-]*[a-z0-9]$", options: .regularExpression) != nil
        guard ok else {
            throw APIError(400, "invalid", "Invalid bucket name: '\(name)'. Use 3-63 lower-case letters, digits, dashes, underscores and dots, starting and ending with a letter or digit.")
        }
    }

    func insertBucket(_ request: APIRequest) throws -> APIResponse {
        let body = try request.json()
        guard let name = body["name"]?.string else { throw APIError.required("name") }
        try Self.validateBucketName(name)
        var bucket = bucketJSON(name: name)
        if let labels = body["labels"] { bucket["labels"] = labels }
        do {
            try store.insert("b", name, bucket)
        } catch let error as APIError where error.reason == "alreadyExists" {
            throw APIError(409, "conflict", "Your previous request to create the named bucket succeeded and you already own it.")
        }
        return APIResponse(json: bucket)
    }

    func bucket(_ name: String) throws -> JSONValue {
        guard let bucket = try store.get("b", name) else { throw APIError(404, "notFound", "The specified bucket does not exist.") }
        return bucket
    }

    func listBuckets(_ request: APIRequest) throws -> APIResponse {
        var items = try store.list("b")
        if let prefix = request.query["prefix"] { items = items.filter { $0["name"]?.string?.hasPrefix(prefix) ?? false } }
        var out: JSONValue = ["kind": "storage#buckets"]
        if !items.isEmpty { out["items"] = .array(items) }
        return APIResponse(json: out)
    }

    func deleteBucket(_ name: String) throws -> APIResponse {
        _ = try bucket(name)
        guard try store.objectCount(name) == 0 else {
            throw APIError(409, "conflict", "The bucket you tried to delete is not empty.")
        }
        try store.delete("b", name)
        return APIResponse(status: 204, body: Data(), headers: [:])
    }

    // MARK: Objects

    func objectMetadata(_ bucket: String, _ name: String) throws -> JSONValue {
        _ = try self.bucket(bucket)
        guard let object = try store.object(bucket, name) else {
            throw APIError(404, "notFound", "No such object: \(bucket)/\(name)")
        }
        return object.body
    }

    func listObjects(_ request: APIRequest, bucket: String) throws -> APIResponse {
        _ = try self.bucket(bucket)
        let prefix = request.query["prefix"] ?? ""
        var items = try store.objects(bucket, prefix: prefix)
        var prefixes: [String] = []
        if let delimiter = request.query["delimiter"], !delimiter.isEmpty {
            var kept: [JSONValue] = []
            for item in items {
                let name = item["name"]?.string ?? ""
                let rest = name.dropFirst(prefix.count)
                if let range = rest.range(of: delimiter) {
                    let p = prefix + rest[..<range.upperBound]
                    if !prefixes.contains(p) { prefixes.append(p) }
                } else {
                    kept.append(item)
                }
            }
            items = kept
        }
        let pageSize = Int(request.query["maxResults"] ?? "") ?? 1000
        let start = Int(request.query["pageToken"] ?? "") ?? 0
        var out: JSONValue = ["kind": "storage#objects"]
        let page = Array(items.dropFirst(start).prefix(pageSize))
        if !page.isEmpty { out["items"] = .array(page) }
        if start + pageSize < items.count { out["nextPageToken"] = .string(String(start + pageSize)) }
        if !prefixes.isEmpty { out["prefixes"] = .array(prefixes.map { .string($0) }) }
        return APIResponse(json: out)
    }

    func download(_ request: APIRequest, bucket: String, name: String) throws -> APIResponse {
        _ = try self.bucket(bucket)
        guard let object = try store.object(bucket, name) else { throw APIError(404, "notFound", "No such object: \(bucket)/\(name)") }
        guard let data = FileManager.default.contents(atPath: blobPath(object.blob)) else {
            throw APIError(500, "backendError", "the data of \(bucket)/\(name) is missing")
        }
        var headers: HTTPFields = [
            .contentType: object.body["contentType"]?.string ?? "application/octet-stream",
            .xGoogGeneration: object.body["generation"]?.string ?? "1",
            .xGoogMetageneration: "1",
            .xGoogHash: "crc32c=\(object.body["crc32c"]?.string ?? ""),md5=\(object.body["md5Hash"]?.string ?? "")",
            .xGoogStoredContentLength: String(data.count),
            .eTag: "\"\(object.body["md5Hash"]?.string.map { Data(base64Encoded: $0).map { $0.map { String(format: "%02x", $0) }.joined() } ?? $0 } ?? "")\"",
        ]
        if let range = request.headers[.range], let (from, to) = Self.parseRange(range, size: data.count) {
            headers[.contentRange] = "bytes \(from)-\(to)/\(data.count)"
            return APIResponse(status: 206, body: data.subdata(in: from..<(to + 1)), headers: headers)
        }
        return APIResponse(status: 200, body: data, headers: headers)
    }

    /// `bytes=a-b`, `bytes=a-` or `bytes=-n`, clamped to the object.
    static func parseRange(_ header: String, size: Int) -> (Int, Int)? {
        guard header.hasPrefix("bytes="), size > 0 else { return nil }
        let spec = header.dropFirst(6).split(separator: ",")[0]
        let parts = spec.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        if parts[0].isEmpty, let n = Int(parts[1]) { return (max(0, size - n), size - 1) }
        guard let from = Int(parts[0]), from < size else { return nil }
        let to = Int(parts[1]).map { min($0, size - 1) } ?? size - 1
        return from <= to ? (from, to) : nil
    }

    func blobPath(_ blob: String) -> String { blobDirectory + "/" + blob }

    /// Stores `file` (already in `blobs/`) as `bucket/name`, computing checksums and generation.
    func commitObject(bucket: String, name: String, blob: String, metadata: JSONValue, ifGenerationMatch: Int64?) throws -> JSONValue {
        let path = blobPath(blob)
        let sums = try ObjectChecksums.of(file: path)
        var st = stat()
        stat(path, &st)
        let generation = String(Int64(Date().timeIntervalSince1970 * 1_000_000))
        let now = Identifiers.timestamp()
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? name
        var object: JSONValue = [
            "kind": "storage#object", "id": .string("\(bucket)/\(name)/\(generation)"), "name": .string(name),
            "bucket": .string(bucket), "generation": .string(generation), "metageneration": "1",
            "contentType": .string(metadata["contentType"]?.string ?? "application/octet-stream"),
            "storageClass": "STANDARD", "size": .string(String(st.st_size)),
            "md5Hash": .string(sums.md5Base64), "crc32c": .string(sums.crc32cBase64), "etag": .string("CAE="),
            "timeCreated": .string(now), "updated": .string(now), "timeStorageClassUpdated": .string(now),
            "selfLink": .string("\(configuration.baseURL)/storage/v1/b/\(bucket)/o/\(encoded)"),
            "mediaLink": .string("\(configuration.baseURL)/download/storage/v1/b/\(bucket)/o/\(encoded)?generation=\(generation)&alt=media"),
        ]
        if let custom = metadata["metadata"], case .object = custom { object["metadata"] = custom }
        if let expected = metadata["md5Hash"]?.string, expected != sums.md5Base64 {
            unlink(path)
            throw APIError(400, "invalid", "Provided MD5 hash \"\(expected)\" doesn't match calculated MD5 hash \"\(sums.md5Base64)\".")
        }
        if let expected = metadata["crc32c"]?.string, expected != sums.crc32cBase64 {
            unlink(path)
            throw APIError(400, "invalid", "Provided CRC32C \"\(expected)\" doesn't match calculated CRC32C \"\(sums.crc32cBase64)\".")
        }
        do {
            if let replaced = try store.putObject(bucket, name, body: object, blob: blob, ifGenerationMatch: ifGenerationMatch) {
                unlink(blobPath(replaced))
            }
        } catch {
            unlink(path)
            throw error
        }
        return object
    }

    static func validateObjectName(_ name: String) throws {
        guard !name.isEmpty else { throw APIError.required("name") }
        guard name.utf8.count <= 1024, !name.contains("\r"), !name.contains("\n"), name != ".", name != ".." else {
            throw APIError(400, "invalid", "Invalid object name: object names are 1-1024 bytes of UTF-8 without newlines, and not . or ..")
        }
    }

    func writeBlob(_ data: Data) throws -> String {
        let blob = UUID().uuidString.lowercased()
        guard FileManager.default.createFile(atPath: blobPath(blob), contents: data) else {
            throw APIError(500, "backendError", "cannot store the object's data")
        }
        return blob
    }
}
