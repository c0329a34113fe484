import Foundation
import ImageBuilder
import Logging
import Machine

/// Instances as QEMU VMs with the `gce` device profile: each has its own copy of its image's disk,
/// its serial console appended to a file, and a QMP socket. VMs run in their own session, so they
/// outlive a crash of the plane, which adopts them on restart (or restarts them if they died).
final class InstanceRuntime: @unchecked Sendable {
    let store: Store
    let operations: Operations
    let images: ImageImporter
    let networks: NetworkService
    let configuration: PlaneConfiguration
    let logger: Logger
    let lock = NSLock()
    /// Running VMs by instance id.
    var vms: [String: VM] = [:]
    /// Ids being stopped or deleted on purpose, whose exit is not a crash.
    var stopping: Set<String> = []

    struct VM {
        var pid: pid_t
        var process: SpawnedProcess?
    }

    static let vmCollection = "vms"
    /// Seconds a deleted instance's guest gets after the ACPI power button before QEMU is stopped.
    /// GCE shuts a deleted VM down gracefully (its shutdown scripts run); a unikernel that handles
    /// the button is gone in milliseconds, a guest that ignores it costs a deletion this long.
    static let deleteGrace = 1.0
    /// Seconds a stopped instance's guest gets after the power button (`instances.stop`).
    static let stopGrace = 5.0

    /// Owns the watchers of adopted VMs.
    let tasks: TaskOwner

    init(store: Store, operations: Operations, images: ImageImporter, networks: NetworkService, configuration: PlaneConfiguration,
         tasks: TaskOwner, logger: Logger) {
        self.tasks = tasks
        self.store = store
        self.operations = operations
        self.images = images
        self.networks = networks
        self.configuration = configuration
        self.logger = logger
    }

    func base(_ project: String) -> String { "\(configuration.baseURL)/compute/v1/projects/\(project)" }
    func collection(_ project: String, _ zone: String) -> String { "projects/\(project)/zones/\(zone)/instances" }
    func directory(_ id: String) -> String { configuration.dataDirectory + "/instances/\(id)" }
    func qmpSocket(_ id: String) -> String { NSTemporaryDirectory() + "sortie-vm-\(id).sock" }

    // MARK: API

    /// What a managed instance group tells the instances it creates.
    struct Membership: Sendable {
        /// The group's selfLink.
        var group: String
        var template: String
        var versionName: String
        /// Guest TCP ports to forward to host loopback ports (named ports and health check ports).
        var guestPorts: [Int]
    }

    func insert(_ request: JSONValue, project: String, zone: String, requestId: String?, membership: Membership? = nil) async throws -> JSONValue {
        var body = request
        try ResourceValidation.common(body)
        let name = body["name"]!.string!
        guard let machineTypeText = body["machineType"]?.string else { throw APIError.required("resource.machineType") }
        let typeName = String(machineTypeText.split(separator: "/").last ?? "")
        guard let machineType = Catalog.machineType(named: typeName) else {
            throw APIError.invalid("Invalid value for field 'resource.machineType': '\(machineTypeText)'. Machine type with name '\(typeName)' does not exist in zone '\(zone)'.")
        }
        guard let disks = body["disks"]?.array, let boot = disks.first else { throw APIError.required("resource.disks") }
        guard let sourceImage = boot["initializeParams"]?["sourceImage"]?.string else {
            throw APIError.required("resource.disks[0].initializeParams.sourceImage")
        }
        let image = try resolveImage(sourceImage, project: project)
        try DiskRules.checkBootDisk(boot["initializeParams"], field: "resource.disks[0].initializeParams", machineType: machineType,
                                    imageSizeGb: image["diskSizeGb"]?.int64, zone: zone)
        try MetadataRules.check(body["metadata"], field: "resource.metadata")
        let id = Identifiers.newID()
        let selfLink = "\(base(project))/zones/\(zone)/instances/\(name)"
        body["kind"] = "compute#instance"
        body["id"] = .string(id)
        body["creationTimestamp"] = .string(Identifiers.timestamp())
        body["selfLink"] = .string(selfLink)
        body["zone"] = .string("\(base(project))/zones/\(zone)")
        body["machineType"] = .string("\(base(project))/zones/\(zone)/machineTypes/\(typeName)")
        body["status"] = .string(ComputeInstanceStatus.provisioning.rawValue)
        body["cpuPlatform"] = "QEMU TCG"
        body["fingerprint"] = .string(Identifiers.randomToken(bytes: 8))
        body["startRestricted"] = false
        body["deletionProtection"] = false
        body["disks"] = [[
            "kind": "compute#attachedDisk", "type": "PERSISTENT", "mode": "READ_WRITE", "boot": true, "autoDelete": true,
            "index": 0, "interface": "SCSI", "deviceName": .string(boot["deviceName"]?.string ?? name),
            "source": .string("\(base(project))/zones/\(zone)/disks/\(name)"),
            "diskSizeGb": .string(boot["initializeParams"]?["diskSizeGb"]?.int64.map(String.init) ?? image["diskSizeGb"]?.string ?? "1"),
        ]]
        var nics = body["networkInterfaces"]?.array ?? [[:]]
        for i in nics.indices {
            nics[i]["kind"] = "compute#networkInterface"
            nics[i]["name"] = .string("nic\(i)")
            nics[i] = try networks.resolveInterface(nics[i], field: "resource.networkInterfaces[\(i)]", project: project,
                                                    region: PlaneConfiguration.region(ofZone: zone))
            nics[i]["networkIP"] = "10.0.2.15"
        }
        body["networkInterfaces"] = .array(nics)
        if body["labels"] != nil { body["labelFingerprint"] = .string(Identifiers.randomToken(bytes: 8)) }
        let memory = min(machineType.memoryMb, configuration.guestMemoryCapMiB)

        let op = try operations.begin(project: project, scope: "zones/\(zone)", type: "insert", targetLink: selfLink,
                                      targetId: id, requestId: requestId)
        let opName = op.body["name"]!.string!
        if let quota = try quotaProblem(addingMemory: memory) {
            operations.finish(op.collection, opName, error: quota)
            return try store.get(op.collection, opName) ?? op.body
        }
        try store.insert(collection(project, zone), name, body)
        var record: JSONValue = ["id": .string(id), "project": .string(project), "zone": .string(zone), "name": .string(name),
                                 "memory": .number(Double(memory)), "cpus": .number(Double(min(machineType.cpus, 2))),
                                 "imageID": .string(image["id"]?.string ?? ""), "pid": 0, "createdAt": .number(Date().timeIntervalSince1970)]
        if let membership {
            record["group"] = .string(membership.group)
            record["template"] = .string(membership.template)
            record["versionName"] = .string(membership.versionName)
            record["currentAction"] = "CREATING"
            var forwards: [String: JSONValue] = [:]
            for port in Set(membership.guestPorts) { forwards[String(port)] = .number(Double(try PortAllocator.freeLoopbackPort())) }
            record["forwards"] = .object(forwards)
            body["metadata"] = ["items": [["key": "created-by", "value": .string(membership.group)]]]
        }
        try store.insert(Self.vmCollection, id, record)
        runBlocking { [self] in
            do {
                try FileManager.default.createDirectory(atPath: directory(id), withIntermediateDirectories: true)
                let copy = try SystemCommandRunner().run("/bin/cp", ["--sparse=always", imageDiskPath(image), directory(id) + "/disk.raw"])
                guard copy.status == 0 else { throw APIError(500, "backendError", "cannot create the boot disk: \(copy.errorOutput)") }
                try launch(id: id)
                operations.finish(op.collection, opName)
            } catch {
                setStatus(id, .terminated)
                operations.finish(op.collection, opName, error: (error as? APIError) ?? APIError(500, "backendError", "\(error)"))
            }
        }
        return op.body
    }

    func act(_ action: InstanceAction, project: String, zone: String, name: String, requestId: String?) async throws -> JSONValue {
        guard let instance = try store.get(collection(project, zone), name), let id = instance["id"]?.string else {
            throw APIError.notFound("\(collection(project, zone))/\(name)")
        }
        let op = try operations.begin(project: project, scope: "zones/\(zone)", type: action.rawValue,
                                      targetLink: instance["selfLink"]?.string ?? "", targetId: id, requestId: requestId)
        let opName = op.body["name"]!.string!
        runBlocking { [self] in
            do {
                switch action {
                case .stop:
                    setStatus(id, .stopping)
                    powerOff(id: id, grace: Self.stopGrace)
                    setStatus(id, .terminated)
                case .start:
                    if !isRunning(id) {
                        let memory = Int((try? store.get(Self.vmCollection, id))?["memory"]?.number ?? 256)
                        if let quota = try quotaProblem(addingMemory: memory) { throw quota }
                        try launch(id: id)
                    }
                case .reset:
                    guard isRunning(id) else { throw APIError(400, "resourceNotReady", "The instance is not running.") }
                    try QMPClient(path: qmpSocket(id), within: 2).execute("system_reset")
                }
                operations.finish(op.collection, opName)
            } catch {
                operations.finish(op.collection, opName, error: (error as? APIError) ?? APIError(500, "backendError", "\(error)"))
            }
        }
        return op.body
    }

    func delete(project: String, zone: String, name: String, requestId: String?) async throws -> JSONValue {
        guard let instance = try store.get(collection(project, zone), name), let id = instance["id"]?.string else {
            throw APIError.notFound("\(collection(project, zone))/\(name)")
        }
        let op = try operations.begin(project: project, scope: "zones/\(zone)", type: "delete",
                                      targetLink: instance["selfLink"]?.string ?? "", targetId: id, requestId: requestId)
        let opName = op.body["name"]!.string!
        setStatus(id, .stopping)
        runBlocking { [self] in
            powerOff(id: id, grace: Self.deleteGrace)
            try? store.delete(collection(project, zone), name)
            try? store.delete(Self.vmCollection, id)
            try? FileManager.default.removeItem(atPath: directory(id))
            operations.finish(op.collection, opName)
        }
        return op.body
    }

    /// The serial console from byte `start` (GCE keeps the last 1 MiB), with `next` for paging.
    func serialPortOutput(project: String, zone: String, name: String, start: Int64) throws -> JSONValue {
        guard let instance = try store.get(collection(project, zone), name), let id = instance["id"]?.string else {
            throw APIError.notFound("\(collection(project, zone))/\(name)")
        }
        let path = directory(id) + "/serial.log"
        let data = FileManager.default.contents(atPath: path) ?? Data()
        let total = Int64(data.count)
        // A negative start counts from the end (the last -start bytes), as on GCE.
        let wanted = start < 0 ? total + start : min(start, total)
        let from = max(wanted, total - (1 << 20), 0)
        let contents = String(decoding: data.suffix(from: Int(from)), as: UTF8.self)
        return ["kind": "compute#serialPortOutput", "contents": .string(contents), "start": .string(String(from)),
                "next": .string(String(total)), "selfLink": .string("\(instance["selfLink"]?.string ?? "")/serialPort")]
    }

    // MARK: Images and quota

    func resolveImage(_ reference: String, project: String) throws -> JSONValue {
        guard let ref = ResourceReference.parse(reference, project: project, scope: "global", collection: "images") else {
            throw APIError.invalid("Invalid value for field 'sourceImage': '\(reference)'.")
        }
        let image: JSONValue?
        if ref.name.hasPrefix("family/") {
            image = try? images.fromFamily(project: ref.project, family: String(ref.name.dropFirst(7)))
        } else {
            image = try store.get(ref.collectionPath, ref.name)
        }
        guard let image else {
            throw APIError(404, "notFound", "The resource 'projects/\(ref.project)/global/images/\(ref.name)' was not found")
        }
        guard image["status"]?.string == "READY" else {
            throw APIError(400, "resourceNotReady", "The resource 'projects/\(ref.project)/global/images/\(ref.name)' is not ready")
        }
        return image
    }

    func imageDiskPath(_ image: JSONValue) -> String { images.diskPath(id: image["id"]?.string ?? "") }

    func quotaProblem(addingMemory memory: Int) throws -> APIError? {
        let running = lock.withLock { vms.keys.map { $0 } }
        let used = running.compactMap { try? store.get(Self.vmCollection, $0)?["memory"]?.number }.reduce(0, +)
        if running.count + 1 > configuration.maxInstances {
            return APIError(403, "quotaExceeded", "Quota 'INSTANCES' exceeded. Limit: \(configuration.maxInstances) on this plane (sortie serve --max-instances).")
        }
        if Int(used) + memory > configuration.maxMemoryMiB {
            return APIError(403, "quotaExceeded", "Quota 'MEMORY_MB' exceeded. Limit: \(configuration.maxMemoryMiB) MB on this plane (sortie serve --max-memory).")
        }
        return nil
    }
}
