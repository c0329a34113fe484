import Deploy
import Foundation
import GCEClient
import GCEModel
import SortieSupport

/// Steps 3 and 4 of a deploy: the archive into the bucket (content-addressed, resumable, never
/// overwriting) and the image registered from it in the app's family. Both are idempotent, so a
/// re-run after a crash picks up where the last one stopped.
public struct ReleasePublisher: Sendable {
    public var connection: TargetConnection
    public var names: ResourceNames
    /// `.sortie` in the project, where an open upload session is kept for resuming.
    public var stateDirectory: String
    /// How long an image import may take (GCE: can exceed 10 minutes).
    public var importTimeout: Duration = .seconds(1800)

    public init(connection: TargetConnection, names: ResourceNames, stateDirectory: String) {
        self.connection = connection
        self.names = names
        self.stateDirectory = stateDirectory
    }

    var bucket: String { connection.target.bucket.value }

    /// Uploads the archive unless an identical object is there; creates the bucket if missing.
    public func upload(_ release: PreparedRelease, reporter: any DeployReporter) async throws -> StepTiming {
        let step = "upload"
        let object = names.archiveObject(archiveSHA256: release.archiveSHA256)
        reporter.started(step, "gs://\(bucket)/\(object) (\(ByteCount.text(release.archiveBytes)))")
        let started = Date()
        do {
            try await ensureBucket(reporter: reporter)
            let outcome = try await uploadResuming(release.archivePath, object: object) { sent, total in
                reporter.transferred(step, sent, of: total)
            }
            let text: String
            switch outcome {
            case .uploaded: text = "uploaded \(ByteCount.text(release.archiveBytes)) to gs://\(bucket)/\(object), md5 and crc32c verified"
            case .reused: text = "gs://\(bucket)/\(object) already there with the same content: reused"
            }
            let seconds = Date().timeIntervalSince(started)
            reporter.finished(step, text, seconds: seconds)
            return StepTiming(step: step, outcome: text, seconds: seconds)
        } catch {
            throw DeployError.api(step, error)
        }
    }

    func ensureBucket(reporter: any DeployReporter) async throws {
        let storage = connection.client.storage
        do {
            _ = try await storage.bucket(bucket)
        } catch let error as GCEAPIError where error.isNotFound {
            do {
                _ = try await storage.insertBucket(Bucket(name: bucket, labels: ["managed-by": "sortie"]))
                reporter.note("created bucket gs://\(bucket)")
            } catch let error as GCEAPIError where error.isAlreadyExists {
                // Created meanwhile (or by a run whose answer was lost).
            }
        }
    }

    /// Resumes a session an interrupted run left, else starts one; the session is kept in
    /// `.sortie/uploads` (mode 0600: its URL grants the right to write the object) until done.
    func uploadResuming(_ path: String, object: String, progress: @escaping UploadProgress) async throws -> UploadOutcome {
        let storage = connection.client.storage
        let file = try LocalFile(path: path)
        let sessionFile = stateDirectory + "/uploads/" + object.replacingOccurrences(of: "/", with: "_") + ".json"
        if let data = FileManager.default.contents(atPath: sessionFile),
           let saved = try? JSONDecoder().decode(UploadSession.self, from: data), saved.bucket == bucket, saved.size == file.size {
            do {
                let outcome = try await storage.finishUpload(saved, file: file, progress: progress)
                try? FileManager.default.removeItem(atPath: sessionFile)
                return outcome
            } catch GCEClientError.uploadSessionExpired {
                try? FileManager.default.removeItem(atPath: sessionFile)
            }
        }
        if try await storage.objectIfExists(bucket: bucket, name: object) != nil {
            // Reused if it has this content, an error otherwise (names are content hashes).
            return try await storage.upload(file: path, bucket: bucket, name: object, contentType: "application/gzip", progress: progress)
        }
        switch try await storage.startUpload(file, bucket: bucket, name: object, contentType: "application/gzip") {
        case .existing(let object):
            return .reused(object)
        case .session(let session):
            try SessionFile.write(session, to: sessionFile)
            let outcome = try await storage.finishUpload(session, file: file, knownOffset: 0, progress: progress)
            try? FileManager.default.removeItem(atPath: sessionFile)
            return outcome
        }
    }

    /// Registers the image (family = app, provenance labels) unless it exists; waits for READY.
    public func registerImage(_ release: PreparedRelease, reporter: any DeployReporter) async throws -> StepTiming {
        let step = "register image"
        let name = names.image(release: release.id)
        reporter.started(step, name)
        let started = Date()
        let images = connection.compute.images
        do {
            var outcome = "created \(name) in family \(names.imageFamily)"
            if let existing = try await connection.compute.ifExists({ try await images.get(name) }) {
                outcome = "\(name) already registered: reused"
                if existing.status == "FAILED" {
                    throw DeployError(step: step, reason: "image \(name) exists but its import FAILED",
                                      hint: "delete it (sortie gc, or the API) and deploy again")
                }
            } else {
                let image = Image(name: name, family: names.imageFamily, description: release.provenance.imageDescription,
                                  rawDisk: .init(source: GCETarget.imageSourceURL(bucket: bucket,
                                                                                  object: names.archiveObject(archiveSHA256: release.archiveSHA256))),
                                  labels: release.provenance.labels)
                do {
                    let operation = try await images.insert(image)
                    _ = try await connection.compute.wait(for: operation, timeout: importTimeout)
                } catch let error as GCEAPIError where error.isAlreadyExists {
                    outcome = "\(name) already registered: reused"
                }
            }
            try await waitReady(name, reporter: reporter)
            let seconds = Date().timeIntervalSince(started)
            reporter.finished(step, outcome, seconds: seconds)
            return StepTiming(step: step, outcome: outcome, seconds: seconds)
        } catch {
            throw DeployError.api(step, error)
        }
    }

    func waitReady(_ name: String, reporter: any DeployReporter) async throws {
        let deadline = connection.clock.now() + importTimeout
        while true {
            let image = try await connection.compute.images.get(name)
            switch image.status {
            case "READY": return
            case "FAILED":
                throw DeployError(step: "register image", reason: "the import of \(name) FAILED",
                                  hint: "check that the archive is a GCE image (sortie image inspect), delete the image and deploy again")
            default:
                guard connection.clock.now() < deadline else {
                    throw DeployError(step: "register image", reason: "\(name) is still \(image.status ?? "PENDING") after \(importTimeout)",
                                      hint: "run the deploy again later: it picks the image up where it is")
                }
                reporter.progress("register image", "\(name) is \(image.status ?? "PENDING")")
                try await connection.clock.sleep(.seconds(2))
            }
        }
    }
}

/// Writes an upload session to a private file, atomically.
enum SessionFile {
    static func write(_ session: UploadSession, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        do {
            try AtomicFile.write(try JSONEncoder().encode(session), to: path, permissions: 0o600)
        } catch let error as AtomicFile.WriteError {
            throw DeployError(step: "upload", reason: error.message, hint: "check that the project directory is writable")
        }
    }
}
