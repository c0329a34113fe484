import Foundation
import HTTPTypes

/// Cloud Storage uploads: media, multipart and resumable sessions (chunks, status queries,
/// `Content-Range` and multipart parsing), and resolving an image's `rawDisk.source`.
extension StorageService {
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
            let metadata: JSONValue = ["contentType": .string(request.headers[.contentType] ?? "application/octet-stream")]
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
            if meta["contentType"] == nil, let type = request.headers[.xUploadContentType] { meta["contentType"] = .string(type) }
            let id = Identifiers.randomToken(bytes: 16)
            let blob = UUID().uuidString.lowercased()
            guard FileManager.default.createFile(atPath: uploadDirectory + "/" + blob, contents: nil) else {
                throw APIError(500, "backendError", "cannot create the upload session")
            }
            let total = request.headers[.xUploadContentLength].flatMap { Int64($0) }
            try store.createUpload(Store.Upload(id: id, bucket: bucket, name: name, metadata: meta, received: 0, total: total,
                                                ifGenerationMatch: ifGenerationMatch, blob: blob))
            let location = "\(configuration.baseURL)/upload/storage/v1/b/\(bucket)/o?uploadType=resumable&upload_id=\(id)"
            return APIResponse(status: 200, body: Data(), headers: [.location: location, .xGUploaderUploadID: id,
                                                                     .contentLength: "0"])
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
            return APIResponse(status: 499, body: Data(), headers: [:])
        }
        let path = uploadDirectory + "/" + upload.blob
        let range = request.headers[.contentRange] ?? "bytes */*"
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
        var headers: HTTPFields = [.contentLength: "0", .xGUploaderUploadID: id]
        if upload.received > 0 { headers[.range] = "bytes=0-\(upload.received - 1)" }
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
        guard let type = request.headers[.contentType], let range = type.range(of: "boundary=") else {
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
