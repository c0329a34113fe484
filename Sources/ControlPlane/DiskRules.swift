/// What GCE checks in a boot disk's `initializeParams` (`diskType`, `diskSizeGb`) for an
/// instance or an instance template, against the disk type's size limits, the source image's
/// size and the machine series. Sources: the discovery document (`AttachedDiskInitializeParams`),
/// the Persistent Disk and Hyperdisk pages of the Compute Engine documentation; docs/serve.md
/// lists them rule by rule.
enum DiskRules {
    /// A disk type that can be a boot disk, with its size limits in GB.
    struct DiskType {
        var name: String
        var minGb: Int64
        var maxGb: Int64
    }

    /// The boot disk types: Persistent Disk (10 GB to 64 TB; pd-extreme from 500 GB) and the two
    /// Hyperdisk types that can boot ("Hyperdisk Balanced and Hyperdisk Balanced High
    /// Availability are the only Hyperdisk types you can use as a boot disk"), from 4 GiB.
    static let bootTypes: [String: DiskType] = Dictionary(uniqueKeysWithValues: [
        DiskType(name: "pd-standard", minGb: 10, maxGb: 65536),
        DiskType(name: "pd-balanced", minGb: 10, maxGb: 65536),
        DiskType(name: "pd-ssd", minGb: 10, maxGb: 65536),
        DiskType(name: "pd-extreme", minGb: 500, maxGb: 65536),
        DiskType(name: "hyperdisk-balanced", minGb: 4, maxGb: 65536),
        DiskType(name: "hyperdisk-balanced-high-availability", minGb: 4, maxGb: 65536),
    ].map { ($0.name, $0) })

    /// Disk types that exist but cannot be boot disks.
    static let dataOnlyTypes: Set<String> = ["hyperdisk-extreme", "hyperdisk-throughput", "hyperdisk-ml", "local-ssd"]

    /// The boot disk types each machine series of the catalog supports: first- and
    /// second-generation series take Persistent Disk only; C3 and C3D have no pd-standard; the
    /// fourth-generation series (C4, C4A, C4D, N4) take Hyperdisk only.
    static let seriesTypes: [String: [String]] = {
        let persistent = ["pd-standard", "pd-balanced", "pd-ssd"]
        let hyperdisk = ["hyperdisk-balanced"]
        return ["e2": persistent, "f1": persistent, "g1": persistent, "n1": persistent, "n2": persistent + ["pd-extreme"],
                "n2d": persistent, "c3": ["pd-balanced", "pd-ssd"] + hyperdisk, "c3d": ["pd-balanced", "pd-ssd"] + hyperdisk,
                "c4": hyperdisk, "c4a": hyperdisk, "c4d": hyperdisk, "n4": hyperdisk]
    }()

    /// The boot disk type a series gets when `diskType` is omitted (discovery document, `diskType`):
    /// pd-standard for first- and second-generation series, pd-balanced for C3 and C3D,
    /// hyperdisk-balanced for fourth-generation series.
    static func defaultType(series: String) -> String {
        switch series {
        case "c3", "c3d": return "pd-balanced"
        case "c4", "c4a", "c4d", "n4": return "hyperdisk-balanced"
        default: return "pd-standard"
        }
    }

    /// Checks the boot disk's `initializeParams` (at `field`) for `machineType`; `imageSizeGb` is
    /// the source image's size when known. `zone` is the instance's zone, nil for a template:
    /// an instance names its disk type by URL (`zones/ZONE/diskTypes/TYPE`, full or partial), a
    /// template by name (`pd-balanced`). Throws 400 `invalid` in GCE's "Invalid value for field"
    /// shape.
    static func checkBootDisk(_ params: JSONValue?, field: String, machineType: Catalog.MachineType, imageSizeGb: Int64?, zone: String?) throws {
        let series = machineType.series
        var typeName = defaultType(series: series)
        if let text = params?["diskType"]?.string {
            typeName = try diskTypeName(text, field: "\(field).diskType", zone: zone)
            guard bootTypes[typeName] != nil else {
                let why = dataOnlyTypes.contains(typeName)
                    ? "Disk type '\(typeName)' cannot be a boot disk: of the Hyperdisk types only hyperdisk-balanced and hyperdisk-balanced-high-availability can."
                    : "Disk type '\(typeName)' does not exist."
                throw APIError.invalid("Invalid value for field '\(field).diskType': '\(text)'. \(why)")
            }
            let supported = seriesTypes[series] ?? Array(bootTypes.keys)
            guard supported.contains(typeName) else {
                throw APIError.invalid("Invalid value for field '\(field).diskType': '\(text)'. Machine type \(machineType.name) (series \(series.uppercased())) does not support disk type \(typeName) as a boot disk; it supports \(supported.joined(separator: ", ")).")
            }
        }
        guard let sizeValue = params?["diskSizeGb"] else { return }
        guard let size = sizeValue.int64 else {
            throw APIError.invalid("Invalid value for field '\(field).diskSizeGb': '\(sizeValue.string ?? "")'. Must be an integer number of GB.")
        }
        let type = bootTypes[typeName]!
        if let imageSizeGb, size < imageSizeGb {
            throw APIError.invalid("Invalid value for field '\(field).diskSizeGb': '\(size)'. Requested disk size cannot be smaller than the image size (\(imageSizeGb) GB)")
        }
        guard (type.minGb...type.maxGb).contains(size) else {
            throw APIError.invalid("Invalid value for field '\(field).diskSizeGb': '\(size)'. A \(typeName) disk must be from \(type.minGb) GB to \(type.maxGb) GB.")
        }
    }

    /// A template's properties made into an instance body for `zone`, as GCE does when it
    /// creates an instance from a template: bare disk type names become `zones/ZONE/diskTypes/TYPE`.
    static func instanceBody(fromTemplateProperties properties: JSONValue, zone: String) -> JSONValue {
        var body = properties
        guard var disks = body["disks"]?.array else { return body }
        for i in disks.indices {
            guard let type = disks[i]["initializeParams"]?["diskType"]?.string, !type.contains("/") else { continue }
            disks[i]["initializeParams"]?["diskType"] = .string("zones/\(zone)/diskTypes/\(type)")
        }
        body["disks"] = .array(disks)
        return body
    }

    /// The type name of a `diskType` value: a bare name in a template; in an instance a full or
    /// partial URL (`zones/ZONE/diskTypes/TYPE`) in the instance's zone.
    static func diskTypeName(_ text: String, field: String, zone: String?) throws -> String {
        let parts = text.split(separator: "/").map(String.init)
        guard let zone else {
            guard parts.count == 1 else {
                throw APIError.invalid("Invalid value for field '\(field)': '\(text)'. In an instance template, specify the disk type by name, without a URL (for example pd-balanced).")
            }
            return text
        }
        guard parts.count >= 4, parts[parts.count - 2] == "diskTypes", parts[parts.count - 4] == "zones" else {
            throw APIError.invalid("Invalid value for field '\(field)': '\(text)'. The URL is malformed: give the disk type's full or partial URL, zones/ZONE/diskTypes/TYPE.")
        }
        guard parts[parts.count - 3] == zone else {
            throw APIError.invalid("Invalid value for field '\(field)': '\(text)'. The disk type must be in the instance's zone '\(zone)'.")
        }
        return parts[parts.count - 1]
    }
}
