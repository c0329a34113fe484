/// The fixed resources of the plane: zones, regions, machine types.
struct Catalog {
    struct MachineType {
        var name: String
        var cpus: Int
        var memoryMb: Int
        var shared: Bool

        /// The machine series: the name up to its first `-` (`e2`, `n2d`, `c4a`).
        var series: String { String(name.prefix { $0 != "-" }) }
    }

    /// GCE's common machine types with their vCPUs and memory: shared-core and first- and
    /// second-generation series, and one type of each newer series whose disk rules differ
    /// (C3, C3D: no pd-standard; C4, C4A, C4D, N4: Hyperdisk only; see `DiskRules`).
    static let machineTypes: [MachineType] = [
        MachineType(name: "e2-micro", cpus: 2, memoryMb: 1024, shared: true),
        MachineType(name: "e2-small", cpus: 2, memoryMb: 2048, shared: true),
        MachineType(name: "e2-medium", cpus: 2, memoryMb: 4096, shared: true),
        MachineType(name: "e2-standard-2", cpus: 2, memoryMb: 8192, shared: false),
        MachineType(name: "e2-standard-4", cpus: 4, memoryMb: 16384, shared: false),
        MachineType(name: "f1-micro", cpus: 1, memoryMb: 614, shared: true),
        MachineType(name: "g1-small", cpus: 1, memoryMb: 1740, shared: true),
        MachineType(name: "n1-standard-1", cpus: 1, memoryMb: 3840, shared: false),
        MachineType(name: "n1-standard-2", cpus: 2, memoryMb: 7680, shared: false),
        MachineType(name: "n2-standard-2", cpus: 2, memoryMb: 8192, shared: false),
        MachineType(name: "n2d-standard-2", cpus: 2, memoryMb: 8192, shared: false),
        MachineType(name: "c3-standard-4", cpus: 4, memoryMb: 16384, shared: false),
        MachineType(name: "c3d-standard-4", cpus: 4, memoryMb: 16384, shared: false),
        MachineType(name: "c4-standard-2", cpus: 2, memoryMb: 7168, shared: false),
        MachineType(name: "c4a-standard-1", cpus: 1, memoryMb: 4096, shared: false),
        MachineType(name: "c4d-standard-2", cpus: 2, memoryMb: 7168, shared: false),
        MachineType(name: "n4-standard-2", cpus: 2, memoryMb: 8192, shared: false),
    ]

    let configuration: PlaneConfiguration

    func base(_ project: String) -> String { "\(configuration.baseURL)/compute/v1/projects/\(project)" }

    /// Stable ids derived from names, so they survive restarts.
    static func stableID(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h | (1 << 62))
    }

    static let created = "2026-01-01T00:00:00.000+00:00"

    func zone(_ project: String, _ name: String) -> JSONValue {
        let region = PlaneConfiguration.region(ofZone: name)
        return ["kind": "compute#zone", "id": .string(Self.stableID("zone/" + name)), "name": .string(name),
                "description": .string("\(name) on this machine (sortie serve)"), "status": "UP",
                "region": .string("\(base(project))/regions/\(region)"), "creationTimestamp": .string(Self.created),
                "selfLink": .string("\(base(project))/zones/\(name)")]
    }

    func region(_ project: String, _ name: String) -> JSONValue {
        let zones = configuration.zones.filter { PlaneConfiguration.region(ofZone: $0) == name }
        return ["kind": "compute#region", "id": .string(Self.stableID("region/" + name)), "name": .string(name),
                "description": .string(name), "status": "UP", "creationTimestamp": .string(Self.created),
                "zones": .array(zones.map { .string("\(base(project))/zones/\($0)") }),
                "selfLink": .string("\(base(project))/regions/\(name)")]
    }

    func machineType(_ project: String, zone: String, _ type: MachineType) -> JSONValue {
        let capped = min(type.memoryMb, configuration.guestMemoryCapMiB)
        return ["kind": "compute#machineType", "id": .string(Self.stableID("mt/" + type.name)), "name": .string(type.name),
                "description": .string("\(type.cpus) vCPUs, \(type.memoryMb) MB RAM (guests here get at most \(capped) MB: sortie serve --guest-memory-cap)"),
                "guestCpus": .number(Double(type.cpus)), "memoryMb": .number(Double(type.memoryMb)),
                "isSharedCpu": .bool(type.shared), "maximumPersistentDisks": 128, "maximumPersistentDisksSizeGb": "263168",
                "imageSpaceGb": 0, "zone": .string(zone), "creationTimestamp": .string(Self.created),
                "selfLink": .string("\(base(project))/zones/\(zone)/machineTypes/\(type.name)")]
    }

    static func machineType(named name: String) -> MachineType? { machineTypes.first { $0.name == name } }
}
