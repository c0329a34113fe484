import Foundation
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
            return APIResponse(status: 204, body: Data(), headers: [])
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
        return APIResponse(status: 204, body: Data(), headers: [])
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
        var headers: [(String, String)] = [
            ("Content-Type", object.body["contentType"]?.string ?? "application/octet-stream"),
            ("X-Goog-Generation", object.body["generation"]?.string ?? "1"),
            ("X-Goog-Metageneration", "1"),
            ("X-Goog-Hash", "crc32c=\(object.body["crc32c"]?.string ?? ""),md5=\(object.body["md5Hash"]?.string ?? "")"),
            ("X-Goog-Stored-Content-Length", String(data.count)),
            ("ETag", "\"\(object.body["md5Hash"]?.string.map { Data(base64Encoded: $0).map { $0.map { String(format: "%02x", $0) }.joined() } ?? $0 } ?? "")\""),
        ]
        if let range = request.headers["range"], let (from, to) = Self.parseRange(range, size: data.count) {
            headers.append(("Content-Range", "bytes \(from)-\(to)/\(data.count)"))
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

    // MARK: Uploads

    func handleUpload(_ request: APIRequest, rest: [String]) async throws -> APIResponse {
        guard rest.count == 3, rest[0] == "b", rest[2] == "o" else {
            throw APIError(404, "notFound", "Not Found: \(request.method) \(request.path)")
        }
        let bucket = rest[1]
        _ = try self.bucket(bucket)
        if let id = request.query["upload_id"] { return try resumableChunk(request, id: id) }
        let ifGenerationMatch = request.query["ifGenerationMatch"].flatMap { Int64($0) }
        switch request.query["uploadType"] {
        case "media":
            guard let name = request.query["name"] else { throw APIError.required("name") }
            try Self.validateObjectName(name)
            let metadata: JSONValue = ["contentType": .string(request.headers["content-type"] ?? "application/octet-stream")]
            return APIResponse(json: try commitObject(bucket: bucket, name: name, blob: try writeBlob(request.body),
                                                      metadata: metadata, ifGenerationMatch: ifGenerationMatch))
        case "multipart":
            let (metadata, media) = try Self.parseMultipart(request)
            guard let name = metadata["name"]?.string ?? request.query["name"] else { throw APIError.required("name") }
            try Self.validateObjectName(name)
            return APIResponse(json: try commitObject(bucket: bucket, name: name, blob: try writeBlob(media),
                                                      metadata: metadata, ifGenerationMatch: ifGenerationMatch))
        case "resumable":
            let metadata = request.body.isEmpty ? [:] : try request.json()
            guard let name = metadata["name"]?.string ?? request.query["name"] else { throw APIError.required("name") }
            try Self.validateObjectName(name)
            var meta = metadata
            if meta["contentType"] == nil, let type = request.headers["x-upload-content-type"] { meta["contentType"] = .string(type) }
            let id = Identifiers.randomToken(bytes: 16)
            let blob = UUID().uuidString.lowercased()
            guard FileManager.default.createFile(atPath: uploadDirectory + "/" + blob, contents: nil) else {
                throw APIError(500, "backendError", "cannot create the upload session")
            }
            let total = request.headers["x-upload-content-length"].flatMap { Int64($0) }
            try store.createUpload(Store.Upload(id: id, bucket: bucket, name: name, metadata: meta, received: 0, total: total,
                                                ifGenerationMatch: ifGenerationMatch, blob: blob))
            let location = "\(configuration.baseURL)/upload/storage/v1/b/\(bucket)/o?uploadType=resumable&upload_id=\(id)"
            return APIResponse(status: 200, body: Data(), headers: [("Location", location), ("X-GUploader-UploadID", id),
                                                                     ("Content-Length", "0")])
        default:
            throw APIError(400, "invalid", "Unsupported uploadType \(request.query["uploadType"] ?? "(none)"); use media, multipart or resumable")
        }
    }

    /// One PUT of a resumable session: a chunk, or a status query (`Content-Range: bytes */N`).
    func resumableChunk(_ request: APIRequest, id: String) throws -> APIResponse {
        guard var upload = try store.upload(id) else {
            if let done = try? store.get("uploads-done", id) { return APIResponse(json: done) }
            throw APIError(404, "notFound", "No such upload session.")
        }
        if request.method == "DELETE" {
            try store.deleteUpload(id)
            unlink(uploadDirectory + "/" + upload.blob)
            return APIResponse(status: 499, body: Data(), headers: [])
        }
        let path = uploadDirectory + "/" + upload.blob
        let range = request.headers["content-range"] ?? "bytes */*"
        let (first, total) = try Self.parseContentRange(range, bodyLength: request.body.count)
        if let total { upload.total = total }
        if let first, !request.body.isEmpty {
            guard first <= upload.received else {
                throw APIError(400, "invalid", "Chunk starts at \(first) but only \(upload.received) bytes were received; query the session's status and resume from there.")
            }
            let skip = Int(upload.received - first)
            if skip < request.body.count {
                guard let handle = FileHandle(forWritingAtPath: path) else { throw APIError(500, "backendError", "upload data missing") }
                try handle.truncate(atOffset: UInt64(upload.received))
                try handle.seek(toOffset: UInt64(upload.received))
                try handle.write(contentsOf: request.body.dropFirst(skip))
                try handle.synchronize()
                try handle.close()
                upload.received += Int64(request.body.count - skip)
            }
            try store.updateUpload(id, received: upload.received, total: upload.total)
        } else if total != nil {
            try store.updateUpload(id, received: upload.received, total: upload.total)
        }
        if let total = upload.total, upload.received >= total {
            let blob = UUID().uuidString.lowercased()
            guard rename(path, blobPath(blob)) == 0 else { throw APIError(500, "backendError", "cannot finish the upload") }
            let object = try commitObject(bucket: upload.bucket, name: upload.name, blob: blob, metadata: upload.metadata,
                                          ifGenerationMatch: upload.ifGenerationMatch)
            try store.deleteUpload(id)
            try? store.insert("uploads-done", id, object)
            return APIResponse(json: object)
        }
        var headers: [(String, String)] = [("Content-Length", "0"), ("X-GUploader-UploadID", id)]
        if upload.received > 0 { headers.append(("Range", "bytes=0-\(upload.received - 1)")) }
        return APIResponse(status: 308, body: Data(), headers: headers)
    }

    /// `bytes 0-262143/1000000`, `bytes 0-262143/*`, `bytes */1000000` or `bytes */*`.
    static func parseContentRange(_ header: String, bodyLength: Int) throws -> (first: Int64?, total: Int64?) {
        let bad = APIError(400, "invalid", "Malformed Content-Range header: \(header)")
        guard header.hasPrefix("bytes ") else { throw bad }
        let parts = header.dropFirst(6).split(separator: "/")
        guard parts.count == 2 else { throw bad }
        let total: Int64? = parts[1] == "*" ? nil : Int64(parts[1])
        if parts[1] != "*", total == nil { throw bad }
        if parts[0] == "*" { return (nil, total) }
        let bounds = parts[0].split(separator: "-")
        guard bounds.count == 2, let first = Int64(bounds[0]), let last = Int64(bounds[1]), last - first + 1 == Int64(bodyLength) else { throw bad }
        return (first, total)
    }

    /// Splits a `multipart/related` body into its JSON metadata and its media.
    static func parseMultipart(_ request: APIRequest) throws -> (JSONValue, Data) {
        guard let type = request.headers["content-type"], let range = type.range(of: "boundary=") else {
            throw APIError(400, "invalid", "multipart upload without a boundary")
        }
        var boundary = String(type[range.upperBound...])
        if let semicolon = boundary.firstIndex(of: ";") { boundary = String(boundary[..<semicolon]) }
        boundary = boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        let delimiter = Data("--\(boundary)".utf8)
        var parts: [Data] = []
        var rest = request.body[...]
        while let r = rest.range(of: delimiter) {
            let part = rest[rest.startIndex..<r.lowerBound]
            if !part.isEmpty { parts.append(Data(part)) }
            rest = rest[r.upperBound...]
        }
        let bodies: [Data] = parts.compactMap { part in
            guard let split = part.range(of: Data("\r\n\r\n".utf8)) else { return nil }
            var body = Data(part[split.upperBound...])
            if body.suffix(2) == Data("\r\n".utf8) { body.removeLast(2) }
            return body
        }
        guard bodies.count >= 2, let metadata = JSONValue.parse(bodies[0]) else {
            throw APIError(400, "invalid", "multipart upload must have a JSON metadata part and a media part")
        }
        return (metadata, bodies[1])
    }

    /// The bytes of an object, for image import: `https://storage.googleapis.com/BUCKET/NAME`
    /// (also `gs://` and this plane's own URLs).
    func resolveSource(_ url: String) throws -> (path: String, bytes: Int64) {
        var rest: Substring
        if url.hasPrefix("gs://") {
            rest = url.dropFirst(5)
        } else if let range = url.range(of: "storage.googleapis.com/") {
            rest = url[range.upperBound...]
        } else if url.hasPrefix(configuration.baseURL + "/") {
            rest = url.dropFirst(configuration.baseURL.count + 1)
        } else {
            throw APIError.invalid("Invalid value for field 'image.rawDisk.source': '\(url)'. Expected https://storage.googleapis.com/BUCKET/OBJECT")
        }
        if let q = rest.firstIndex(of: "?") { rest = rest[..<q] }
        guard let slash = rest.firstIndex(of: "/") else { throw APIError.invalid("rawDisk.source names no object: \(url)") }
        let bucket = String(rest[..<slash])
        let name = String(rest[rest.index(after: slash)...]).removingPercentEncoding ?? String(rest[rest.index(after: slash)...])
        guard let object = try store.object(bucket, name) else {
            throw APIError(400, "invalid", "The resource '\(url)' of type 'storage object' was not found.")
        }
        return (blobPath(object.blob), object.body["size"]?.int64 ?? 0)
    }
}
