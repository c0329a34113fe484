/// The boot disk of every instance of a target: `disk-size` (GB) and `disk-type`, set explicitly
/// in the instance template rather than left to GCE's defaults, and checked against what the
/// target's machine series offers.
///
/// GCE's rules (Compute Engine "Choose a disk type" and the machine-series pages, 2026):
/// persistent disks (`pd-standard`, `pd-balanced`, `pd-ssd`, `pd-extreme`) are at least 10 GB;
/// `hyperdisk-balanced` at least 4 GB. C3, C3D, H3, Z3 and A3 offer no `pd-standard`; the
/// C4, C4A, C4D, N4, N4A, N4D, X4, M4 and A4 series offer Hyperdisk only.
public struct BootDisk: Sendable, Equatable {
    /// `disk-size`: the boot disk in GB; default 10.
    public var sizeGb: Int
    /// `disk-type`: a disk type name; default `pd-balanced`, or `hyperdisk-balanced` on a series
    /// that has only Hyperdisk.
    public var type: String

    public init(sizeGb: Int = BootDisk.defaultSizeGb, type: String = "pd-balanced") {
        self.sizeGb = sizeGb
        self.type = type
    }

    public static let defaultSizeGb = 10

    /// Disk types Sortie knows, with their smallest size in GB.
    public static let minimumSizeGb: [String: Int] = [
        "pd-standard": 10, "pd-balanced": 10, "pd-ssd": 10, "pd-extreme": 10,
        "hyperdisk-balanced": 4, "hyperdisk-extreme": 64, "hyperdisk-throughput": 2048,
    ]

    static let hyperdiskOnlySeries: Set<String> = ["c4", "c4a", "c4d", "n4", "n4a", "n4d", "x4", "m4", "a4", "a4x"]
    static let noStandardPDSeries: Set<String> = ["c3", "c3d", "h3", "z3", "a3"]

    /// The series of a machine type: `e2` of `e2-small`, `n1` of `custom-2-4096`.
    public static func series(ofMachineType machineType: String) -> String {
        let first = machineType.split(separator: "-").first.map(String.init) ?? machineType
        return first == "custom" ? "n1" : first
    }

    /// The default disk type for a machine type.
    public static func defaultType(forMachineType machineType: String) -> String {
        hyperdiskOnlySeries.contains(series(ofMachineType: machineType)) ? "hyperdisk-balanced" : "pd-balanced"
    }

    /// Why `type` cannot be a boot disk of `machineType`, or nil when it can.
    public static func problem(type: String, machineType: String) -> String? {
        let series = series(ofMachineType: machineType)
        guard minimumSizeGb[type] != nil else {
            return "\"\(type)\" is not a disk type (one of: \(minimumSizeGb.keys.sorted().joined(separator: ", ")))"
        }
        if hyperdiskOnlySeries.contains(series), !type.hasPrefix("hyperdisk-") {
            return "machine type \(machineType) (series \(series.uppercased())) offers Hyperdisk only, not \(type)"
        }
        if noStandardPDSeries.contains(series), type == "pd-standard" {
            return "machine type \(machineType) (series \(series.uppercased())) offers no pd-standard"
        }
        return nil
    }

    /// Reads `disk-size` and `disk-type` of a target.
    init(size: ConfigNode, type: ConfigNode, machineType: String) throws {
        let defaultType = Self.defaultType(forMachineType: machineType)
        self.type = try type.optional { try $0.string(matching: .resourceName, what: "a disk type like \"pd-balanced\"").value } ?? defaultType
        if let problem = Self.problem(type: self.type, machineType: machineType) {
            throw type.error(problem, hint: "use disk-type: \(defaultType), or leave it out")
        }
        let minimum = Self.minimumSizeGb[self.type] ?? Self.defaultSizeGb
        sizeGb = try size.optional { try $0.int(1...65536) } ?? max(Self.defaultSizeGb, minimum)
        if sizeGb < minimum {
            throw size.error("\(sizeGb) GB is below the smallest \(self.type) disk GCE makes (\(minimum) GB)",
                             hint: "use disk-size: \(minimum) or more")
        }
    }
}
