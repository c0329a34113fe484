import Foundation
import GCEModel

/// An open resumable upload session: persist it to resume after a crash (`finishUpload`).
public struct UploadSession: Codable, Sendable, Equatable {
    /// The session URI (`Location` of the initiation). It grants upload rights: keep it private.
    public var url: String
    public var bucket: String
    public var name: String
    /// The object's size.
    public var size: Int64

    public init(url: String, bucket: String, name: String, size: Int64) {
        self.url = url
        self.bucket = bucket
        self.name = name
        self.size = size
    }
}

/// Where a session stands.
public enum UploadStatus: Sendable, Equatable {
    /// The server has the first `persisted` bytes.
    case incomplete(persisted: Int64)
    /// The object exists.
    case complete(StorageObject)
}

/// How an upload ended.
public enum UploadOutcome: Sendable, Equatable {
    /// The bytes were sent and the object's checksums match the file.
    case uploaded(StorageObject)
    /// An object of that name with the same content was already there.
    case reused(StorageObject)

    public var object: StorageObject {
        switch self {
        case .uploaded(let object), .reused(let object): return object
        }
    }
}

/// The start of an upload: a session, or an identical object that makes it unnecessary.
public enum UploadStart: Sendable, Equatable {
    case session(UploadSession)
    case existing(StorageObject)
}

/// Called after each chunk with (bytes the server has, total).
public typealias UploadProgress = @Sendable (_ sent: Int64, _ total: Int64) -> Void

extension StorageClient {
    /// The default chunk: 8 MiB.
    public static let defaultChunkSize = 8 << 20

    /// Uploads `file` as `bucket/name`, never overwriting: with `ifGenerationMatch=0`, in chunks
    /// (a multiple of 256 KiB), resuming from the server's offset after a failed chunk, and
    /// verifying the object's md5Hash and crc32c against the file. An existing object of that
    /// name with the same MD5 is reused; one with other content is an error. `checkFirst` looks
    /// for it before sending anything (otherwise the 412 of the precondition finds it).
    public func upload(file: String, bucket: String, name: String, contentType: String = "application/octet-stream",
                       chunkSize: Int = StorageClient.defaultChunkSize, checkFirst: Bool = true,
                       progress: UploadProgress? = nil) async throws -> UploadOutcome {
        let local = try LocalFile(path: file)
        _ = try UploadPlan(total: local.size, chunkSize: Int64(chunkSize))
        if checkFirst, let existing = try await objectIfExists(bucket: bucket, name: name) {
            return try reuse(existing, local)
        }
        var restarted = false
        while true {
            switch try await startUpload(local, bucket: bucket, name: name, contentType: contentType) {
            case .existing(let object):
                return .reused(object)
            case .session(let session):
                do {
                    return try await finishUpload(session, file: local, chunkSize: chunkSize, knownOffset: 0, progress: progress)
                } catch GCEClientError.uploadSessionExpired where !restarted {
                    restarted = true  // once: a session that vanishes twice is not a coincidence
                }
            }
        }
    }

    /// Opens a resumable session for `file` with `ifGenerationMatch=0`, declaring its size and
    /// checksums (servers that check them refuse corrupted data). If the name is taken (412), the
    /// existing object is read: `.existing` if it has the same MD5, else `objectExistsWithOtherContent`.
    public func startUpload(_ file: LocalFile, bucket: String, name: String,
                            contentType: String = "application/octet-stream") async throws -> UploadStart {
        struct Metadata: Encodable {
            var name: String
            var contentType: String
            var md5Hash: String
            var crc32c: String
        }
        let url = target.storageRoot + "upload/storage/v1/b/" + PathEncoding.segment(bucket) + "/o"
        let body = try RESTClient.encoder.encode(Metadata(name: name, contentType: contentType, md5Hash: file.md5Base64,
                                                          crc32c: file.crc32cBase64))
        let response: TransportResponse
        do {
            response = try await rest.send("POST", url, query: [("uploadType", "resumable"), ("name", name), ("ifGenerationMatch", "0")],
                                           headers: [("Content-Type", "application/json; charset=UTF-8"),
                                                     ("X-Upload-Content-Type", contentType),
                                                     ("X-Upload-Content-Length", String(file.size))],
                                           body: body)
        } catch let error as GCEAPIError where error.isPreconditionFailed {
            return .existing(try reuse(try await object(bucket: bucket, name: name), file).object)
        }
        guard let location = response.header("Location"), !location.isEmpty else {
            throw GCEClientError.unexpectedResponse(request: RESTClient.label("POST", url), status: response.status,
                                                    detail: "no Location header with the upload session")
        }
        return .session(UploadSession(url: location, bucket: bucket, name: name, size: file.size))
    }

    /// Asks the server how much of the session it has (`Content-Range: bytes */TOTAL`).
    public func uploadStatus(_ session: UploadSession) async throws -> UploadStatus {
        let plan = try UploadPlan(total: session.size, chunkSize: UploadPlan.granularity)
        do {
            let response = try await rest.send("PUT", session.url, headers: [("Content-Range", plan.statusQuery)],
                                               accepting: [308])
            return try status(of: response, session)
        } catch let error as GCEAPIError where [404, 410].contains(error.status) {
            throw GCEClientError.uploadSessionExpired(object: "\(session.bucket)/\(session.name)")
        }
    }

    /// Sends the chunk that starts at `offset`, once (no retry: after a failure ask `uploadStatus`).
    public func sendChunk(_ session: UploadSession, file: LocalFile, offset: Int64,
                          chunkSize: Int = StorageClient.defaultChunkSize) async throws -> UploadStatus {
        let plan = try UploadPlan(total: session.size, chunkSize: Int64(chunkSize))
        guard file.size == session.size else {
            throw GCEClientError.invalidArgument("\(file.path) has \(file.size) bytes but the upload session expects \(session.size)")
        }
        guard let chunk = plan.chunk(at: offset) else {
            throw GCEClientError.invalidArgument("offset \(offset) is past the end of \(file.path) (\(file.size) bytes)")
        }
        let data = try file.read(chunk)
        do {
            let response = try await rest.send("PUT", session.url, headers: [("Content-Range", plan.contentRange(chunk))],
                                               body: data, timeout: .seconds(300), accepting: [308], policy: .never)
            return try status(of: response, session)
        } catch let error as GCEAPIError where [404, 410].contains(error.status) {
            throw GCEClientError.uploadSessionExpired(object: "\(session.bucket)/\(session.name)")
        }
    }

    /// Sends the rest of a session from the server's offset (asked first unless `knownOffset` is
    /// given), recovering from failed chunks by asking the offset again, then verifies the
    /// object's checksums against `file`. Resumes a session left by an interrupted upload.
    public func finishUpload(_ session: UploadSession, file: LocalFile, chunkSize: Int = StorageClient.defaultChunkSize,
                             knownOffset: Int64? = nil, progress: UploadProgress? = nil) async throws -> UploadOutcome {
        var status: UploadStatus
        if let knownOffset { status = .incomplete(persisted: knownOffset) } else { status = try await uploadStatus(session) }
        var failures = 0
        var lastPersisted: Int64 = -1
        var stalls = 0
        let start = rest.clock.now()
        while true {
            let persisted: Int64
            switch status {
            case .complete(let object):
                progress?(session.size, session.size)
                return .uploaded(try verify(object, file))
            case .incomplete(let count):
                persisted = count
            }
            if persisted > lastPersisted { stalls = 0 } else { stalls += 1 }
            lastPersisted = persisted
            if persisted > 0 { progress?(persisted, session.size) }
            if stalls > rest.retry.maxAttempts {
                throw GCEClientError.unexpectedResponse(request: "PUT upload session of \(session.bucket)/\(session.name)", status: 308,
                                                        detail: "the server keeps no data past byte \(persisted)")
            }
            do {
                status = try await sendChunk(session, file: file, offset: persisted, chunkSize: chunkSize)
                failures = 0
            } catch let error as GCEAPIError where error.isPreconditionFailed {
                // The name was taken while we uploaded.
                return try reuse(try await object(bucket: session.bucket, name: session.name), file)
            } catch {
                guard let failure = Self.attemptFailure(error) else { throw error }
                failures += 1
                switch rest.retry.decide(failure, failedAttempts: failures, elapsed: rest.clock.now() - start, jitter: rest.clock.random()) {
                case .giveUp: throw error
                case .retry(let wait): try await rest.clock.sleep(wait)
                }
                status = try await uploadStatus(session)
            }
        }
    }

    /// Reads a 308 (offset) or 200/201 (object) answer of a session.
    func status(of response: TransportResponse, _ session: UploadSession) throws -> UploadStatus {
        if response.status == 308 {
            guard let persisted = UploadPlan.persistedBytes(range: response.header("Range")), persisted <= session.size else {
                throw GCEClientError.unexpectedResponse(request: "PUT upload session of \(session.bucket)/\(session.name)", status: 308,
                                                        detail: "unreadable Range header \(response.header("Range") ?? "")")
            }
            return .incomplete(persisted: persisted)
        }
        return .complete(try RESTClient.decode(StorageObject.self, response, label: "PUT upload session of \(session.bucket)/\(session.name)"))
    }

    /// The failure to hand to the retry policy, or nil if the error is final.
    static func attemptFailure(_ error: any Error) -> AttemptFailure? {
        switch error {
        case let error as GCEAPIError: return .status(error.status, reason: error.reason)
        case GCEClientError.unreachable(_, let transport, _): return .transport(transport.kind)
        default: return nil
        }
    }

    /// The uploaded object, if its checksums are the file's.
    func verify(_ object: StorageObject, _ file: LocalFile) throws -> StorageObject {
        let label = "\(object.bucket ?? "?")/\(object.name)"
        guard object.md5Hash != nil || object.crc32c != nil else {
            throw GCEClientError.unexpectedResponse(request: "upload of \(label)", status: 200, detail: "the object has neither md5Hash nor crc32c")
        }
        if let md5 = object.md5Hash, md5 != file.md5Base64 {
            throw GCEClientError.checksumMismatch(object: label, field: "md5Hash", local: file.md5Base64, remote: md5)
        }
        if let crc = object.crc32c, crc != file.crc32cBase64 {
            throw GCEClientError.checksumMismatch(object: label, field: "crc32c", local: file.crc32cBase64, remote: crc)
        }
        if let size = object.size?.value, size != file.size {
            throw GCEClientError.checksumMismatch(object: label, field: "size", local: String(file.size), remote: String(size))
        }
        return object
    }

    /// An existing object standing in for the file: the same MD5 (and CRC32C when given), or an error.
    func reuse(_ object: StorageObject, _ file: LocalFile) throws -> UploadOutcome {
        let label = "\(object.bucket ?? "?")/\(object.name)"
        guard object.md5Hash == file.md5Base64, object.crc32c == nil || object.crc32c == file.crc32cBase64 else {
            throw GCEClientError.objectExistsWithOtherContent(object: label, localMD5: file.md5Base64, remoteMD5: object.md5Hash ?? "none")
        }
        return .reused(object)
    }
}
