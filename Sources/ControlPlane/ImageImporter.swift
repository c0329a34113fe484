import Foundation
import ImageBuilder
import Logging

/// `images.insert` from an archive in this plane's storage, checked like GCE does (gzip'd tar with
/// one `disk.raw`, whole GiB, bootable MBR): the image is PENDING while the archive is checked and
/// unpacked into `images/`, then READY, or FAILED with the reason in the operation.
final class ImageImporter: Sendable {
    let store: Store
    let storage: StorageService
    let operations: Operations
    let configuration: PlaneConfiguration
    let logger: Logger

    init(store: Store, storage: StorageService, operations: Operations, configuration: PlaneConfiguration, logger: Logger) {
        self.store = store
        self.storage = storage
        self.operations = operations
        self.configuration = configuration
        self.logger = logger
    }

    func collection(_ project: String) -> String { "projects/\(project)/global/images" }
    func base(_ project: String) -> String { "\(configuration.baseURL)/compute/v1/projects/\(project)" }

    /// Path of an image's unpacked disk.
    func diskPath(id: String) -> String { configuration.dataDirectory + "/images/\(id).raw" }

    func insert(_ request: JSONValue, project: String, requestId: String?) throws -> JSONValue {
        var body = request
        try ResourceValidation.common(body)
        let name = body["name"]!.string!
        if let family = body["family"] {
            guard let text = family.string else { throw APIError.invalid("Invalid value for field 'resource.family': must be a string.") }
            try Identifiers.validateName(text, field: "resource.family")
        }
        guard let source = body["rawDisk"]?["source"]?.string else {
            if body["sourceImage"] != nil || body["sourceDisk"] != nil {
                throw APIError.invalid("sortie serve imports images from rawDisk.source only.")
            }
            throw APIError.required("resource.rawDisk.source")
        }
        let object = try storage.resolveSource(source)
        let id = Identifiers.newID()
        body["kind"] = "compute#image"
        body["id"] = .string(id)
        body["creationTimestamp"] = .string(Identifiers.timestamp())
        body["selfLink"] = .string("\(base(project))/global/images/\(name)")
        body["status"] = "PENDING"
        body["sourceType"] = "RAW"
        body["archiveSizeBytes"] = .string(String(object.bytes))
        var raw = body["rawDisk"] ?? [:]
        if raw["containerType"] == nil { raw["containerType"] = "TAR" }
        body["rawDisk"] = raw
        if body["labels"] != nil { body["labelFingerprint"] = "42WmSpB8rSM=" }
        if body["storageLocations"] == nil { body["storageLocations"] = ["local"] }
        try store.insert(collection(project), name, body)
        let op = try operations.begin(project: project, scope: "global", type: "insert", targetLink: body["selfLink"]!.string!,
                                      targetId: id, requestId: requestId)
        startImport(project: project, name: name, operation: op.body["name"]!.string!)
        return op.body
    }

    func startImport(project: String, name: String, operation: String) {
        runBlocking { [self] in self.importImage(project: project, name: name, operation: operation) }
    }

    /// Re-runs imports that a restart interrupted.
    func resumePending() {
        guard let all = try? store.listAll(like: "projects/%/global/images") else { return }
        for (collection, image) in all where image["status"]?.string == "PENDING" {
            let project = collection.split(separator: "/")[1]
            let ops = (try? store.list("projects/\(project)/global/operations")) ?? []
            let op = ops.last { $0["targetId"] == image["id"] && !$0.isDoneOperation }
            startImport(project: String(project), name: image["name"]?.string ?? "", operation: op?["name"]?.string ?? "")
        }
    }

    func importImage(project: String, name: String, operation: String) {
        let opCollection = Operations.collection(project: project, scope: "global")
        guard let image = try? store.get(collection(project), name), let id = image["id"]?.string,
              let source = image["rawDisk"]?["source"]?.string else { return }
        do {
            let object = try storage.resolveSource(source)
            let report = try ImageInspection.inspect(object.path)
            let broken = report.rules.filter { !$0.ok }
            guard report.container == "tar.gz", broken.isEmpty else {
                let why = report.container != "tar.gz" ? "the file is not a gzip-compressed tar archive"
                    : broken.map { "\($0.rule) (\($0.detail))" }.joined(separator: "; ")
                throw APIError(400, "invalid", "The image archive \(source) is not a valid GCE image: \(why).")
            }
            try OpenedImage.open(object.path).writeRaw(to: diskPath(id: id))
            try store.mutate(collection(project), name) { body in
                body["status"] = "READY"
                body["diskSizeGb"] = .string(String(report.diskBytes / (1 << 30)))
            }
            operations.finish(opCollection, operation, targetId: id)
            logger.info("image \(project)/\(name) is READY")
        } catch {
            let apiError = (error as? APIError)
                ?? APIError(400, "invalid", "The image archive \(source) cannot be imported: \(error)")
            _ = try? store.mutate(collection(project), name) { $0["status"] = "FAILED" }
            operations.finish(opCollection, operation, error: apiError, targetId: id)
            logger.warning("image \(project)/\(name) FAILED: \(apiError.message)")
        }
    }

    /// The newest image of `family` that is READY and not deprecated.
    func fromFamily(project: String, family: String) throws -> JSONValue {
        let candidates = try store.list(collection(project)).filter {
            $0["family"]?.string == family && $0["status"]?.string == "READY"
                && !["DEPRECATED", "OBSOLETE", "DELETED"].contains($0["deprecated"]?["state"]?.string ?? "")
        }
        guard let newest = candidates.max(by: { ($0["creationTimestamp"]?.string ?? "") < ($1["creationTimestamp"]?.string ?? "") }) else {
            throw APIError.notFound("projects/\(project)/global/images/family/\(family)")
        }
        return newest
    }

    func deprecate(project: String, name: String, status: JSONValue, requestId: String?) throws -> JSONValue {
        let state = status["state"]?.string ?? "ACTIVE"
        guard ["ACTIVE", "DEPRECATED", "OBSOLETE", "DELETED"].contains(state) else {
            throw APIError.invalid("Invalid value for field 'state': '\(state)'.")
        }
        let image = try store.mutate(collection(project), name) { body in
            if state == "ACTIVE" { body["deprecated"] = nil } else {
                var deprecated = status
                deprecated["state"] = .string(state)
                body["deprecated"] = deprecated
            }
        }
        return try operations.begin(project: project, scope: "global", type: "deprecate", targetLink: image["selfLink"]?.string ?? "",
                                    targetId: image["id"]?.string, requestId: requestId, done: true).body
    }

    func setLabels(project: String, name: String, body: JSONValue, requestId: String?) throws -> JSONValue {
        let image = try store.mutate(collection(project), name) { image in
            image["labels"] = body["labels"] ?? [:]
            image["labelFingerprint"] = .string(Identifiers.randomToken(bytes: 8))
        }
        return try operations.begin(project: project, scope: "global", type: "setLabels", targetLink: image["selfLink"]?.string ?? "",
                                    targetId: image["id"]?.string, requestId: requestId, done: true).body
    }

    /// As on GCE, an image can be deleted even while templates name it; instances made from those
    /// templates later fail with "not found".
    func delete(project: String, name: String, requestId: String?) throws -> JSONValue {
        guard let image = try store.get(collection(project), name) else { throw APIError.notFound("\(collection(project))/\(name)") }
        try store.delete(collection(project), name)
        if let id = image["id"]?.string { unlink(diskPath(id: id)) }
        return try operations.begin(project: project, scope: "global", type: "delete", targetLink: image["selfLink"]?.string ?? "",
                                    targetId: image["id"]?.string, requestId: requestId, done: true).body
    }
}
