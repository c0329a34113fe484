import DiskImage
import Foundation

/// What `sortie image inspect` reports about an image.
public struct ImageInspection: Codable, Sendable {
    public struct Partition: Codable, Sendable {
        public var index: Int
        public var bootable: Bool
        public var type: String
        public var firstSector: UInt32
        public var sectors: UInt32
        public var bytes: UInt64
    }

    public struct File: Codable, Sendable {
        public var path: String
        public var bytes: UInt32
    }

    /// One of GCE's import rules and whether the image meets it.
    public struct Rule: Codable, Sendable {
        public var rule: String
        public var ok: Bool
        public var detail: String
    }

    public var path: String
    public var container: String
    public var fileBytes: UInt64
    public var diskBytes: UInt64
    public var dataBytes: UInt64
    public var diskSignature: String
    public var partitions: [Partition]
    public var files: [File]
    public var kernelKind: String?
    public var kernelBytes: UInt64?
    public var commandLine: String?
    public var rules: [Rule]

    /// True when every GCE rule is met.
    public var meetsGCERules: Bool { rules.allSatisfy(\.ok) }

    public static func inspect(_ path: String) throws -> ImageInspection {
        let image = try OpenedImage.open(path)
        let disk = image.disk
        guard disk.size >= 512 else {
            throw FileError("\(path) is \(disk.size) bytes: too small to be a disk image")
        }
        let mbr = MasterBootRecord.parse(try disk.read(offset: 0, count: 512))
        let partitions = mbr.partitions.enumerated().map { i, p in
            Partition(index: i + 1, bootable: p.bootable, type: p.typeName, firstSector: p.firstSector,
                      sectors: p.sectorCount, bytes: UInt64(p.sectorCount) * 512)
        }
        var files: [File] = []
        var kernelKind: String?
        var kernelBytes: UInt64?
        var commandLine: String?
        if let first = mbr.partitions.first, UInt64(first.firstSector) * 512 < disk.size,
           let fat = try? FATReader(disk: disk, partitionOffset: UInt64(first.firstSector) * 512) {
            let entries = (try? fat.list()) ?? []
            files = entries.filter { !$0.isDirectory }.map { File(path: $0.path, bytes: $0.size) }
            if let kernel = try? fat.read(path: "/boot/kernel") {
                kernelBytes = UInt64(kernel.count)
                kernelKind = (try? KernelDetector.detect(kernel, name: "/boot/kernel"))?.displayName ?? "not a kernel Sortie recognises"
            }
            if let config = try? fat.read(path: "/boot/grub/grub.cfg") {
                commandLine = GrubConfig.commandLine(fromConfig: String(decoding: config, as: UTF8.self))
            }
        }
        var dataBytes: UInt64 = 0
        if let extents = (disk as? ExtentDisk)?.extents { dataBytes = extents.reduce(0) { $0 + UInt64($1.data.count) } }
        return ImageInspection(
            path: path, container: image.container.rawValue, fileBytes: image.fileBytes, diskBytes: disk.size,
            dataBytes: dataBytes, diskSignature: hex32(mbr.diskSignature),
            partitions: partitions, files: files, kernelKind: kernelKind, kernelBytes: kernelBytes,
            commandLine: commandLine, rules: rules(image, mbr: mbr))
    }

    static func hex32(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    static func rules(_ image: OpenedImage, mbr: MasterBootRecord.Parsed) -> [Rule] {
        var rules: [Rule] = []
        let size = image.disk.size
        if image.container == .gceArchive {
            rules.append(Rule(rule: "gzip-compressed tar archive", ok: true, detail: "read to the end without error"))
            let names = image.members.map(\.name)
            let single = image.members.count == 1 && names == ["disk.raw"]
            rules.append(Rule(rule: "exactly one member, named disk.raw", ok: single,
                              detail: names.isEmpty ? "no members" : names.joined(separator: ", ")))
            let pax = image.members.contains(where: \.isPAXHeader)
            let dialects = Set(image.members.map(\.dialect.rawValue)).sorted().joined(separator: ", ")
            rules.append(Rule(rule: "GNU oldgnu tar format, no PAX headers", ok: !pax && image.members.allSatisfy { $0.dialect == .oldgnu },
                              detail: pax ? "PAX extended headers present" : dialects))
        } else {
            rules.append(Rule(rule: "packed as a GCE archive (.tar.gz)", ok: false,
                              detail: "this is a raw disk; build with -o NAME.tar.gz to upload it"))
        }
        rules.append(Rule(rule: "disk size a whole number of GiB", ok: size > 0 && size % Size.gibibyte == 0,
                          detail: "\(size) bytes" + (size % Size.gibibyte == 0 ? " = \(size / Size.gibibyte) GiB" : "")))
        rules.append(Rule(rule: "disk size at most 2048 GiB", ok: size <= 2048 * Size.gibibyte, detail: formatBytes(size)))
        rules.append(Rule(rule: "MBR boot signature 55 AA", ok: mbr.hasBootSignature, detail: mbr.hasBootSignature ? "present" : "missing"))
        rules.append(Rule(rule: "boot code in the MBR", ok: mbr.hasBootCode, detail: mbr.hasBootCode ? "present" : "first 440 bytes are zero"))
        let bootable = mbr.partitions.filter(\.bootable).count
        rules.append(Rule(rule: "a bootable primary partition", ok: bootable >= 1,
                          detail: "\(mbr.partitions.count) partition(s), \(bootable) marked bootable"))
        return rules
    }
}
