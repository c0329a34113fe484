import SortieSupport

/// Reads files from a FAT16 or FAT32 partition, for `sortie image inspect` and tests.
public final class FATReader {
    public struct Entry: Equatable, Sendable {
        /// Path from the root, lower-cased, e.g. `/boot/grub/grub.cfg`.
        public var path: String
        public var isDirectory: Bool
        public var size: UInt32
        public var firstCluster: UInt32
    }

    public struct Malformed: UserFacingError {
        public let message: String
        public var hint: String? { "the partition is not a FAT file system Sortie can read" }
    }

    public let bitsPerEntry: Int
    private let disk: DiskReader
    private let start: UInt64
    private let sectorsPerCluster: UInt64
    private let fatStart: UInt64
    private let rootDirStart: UInt64
    private let rootDirSectors: UInt64
    private let dataStart: UInt64
    private let rootCluster: UInt32
    private let clusterCount: UInt32
    public let volumeID: UInt32

    /// Opens the FAT volume whose boot sector is at byte `partitionOffset` of `disk`.
    public init(disk: DiskReader, partitionOffset: UInt64) throws {
        self.disk = disk
        self.start = partitionOffset
        let bs = try disk.read(offset: partitionOffset, count: 512)
        guard bs[510] == 0x55, bs[511] == 0xAA, bs.le16(at: 11) == 512, bs[13] != 0, bs[16] != 0 else {
            throw Malformed(message: "no FAT boot sector at byte \(partitionOffset)")
        }
        sectorsPerCluster = UInt64(bs[13])
        let reserved = UInt64(bs.le16(at: 14))
        let fats = UInt64(bs[16])
        let rootEntries = UInt64(bs.le16(at: 17))
        let total = bs.le16(at: 19) != 0 ? UInt64(bs.le16(at: 19)) : UInt64(bs.le32(at: 32))
        let fatSize = bs.le16(at: 22) != 0 ? UInt64(bs.le16(at: 22)) : UInt64(bs.le32(at: 36))
        fatStart = reserved
        rootDirStart = reserved + fats * fatSize
        rootDirSectors = (rootEntries * 32 + 511) / 512
        dataStart = rootDirStart + rootDirSectors
        guard total > dataStart else { throw Malformed(message: "the FAT boot sector describes an impossible layout") }
        clusterCount = UInt32((total - dataStart) / sectorsPerCluster)
        if clusterCount < 4085 { throw Malformed(message: "FAT12 volumes are not supported") }
        bitsPerEntry = clusterCount < 65_525 ? 16 : 32
        rootCluster = bitsPerEntry == 32 ? bs.le32(at: 44) : 0
        volumeID = bs.le32(at: bitsPerEntry == 32 ? 67 : 39)
    }

    /// Every file and directory, depth first.
    public func list() throws -> [Entry] {
        var out: [Entry] = []
        try walk(directory: rootCluster, path: "", into: &out, depth: 0)
        return out
    }

    /// The contents of the file at `path` (case-insensitive), or nil if there is none.
    public func read(path: String) throws -> [UInt8]? {
        guard let entry = try list().first(where: { $0.path.lowercased() == path.lowercased() && !$0.isDirectory }) else { return nil }
        var data: [UInt8] = []
        data.reserveCapacity(Int(entry.size))
        for cluster in try chain(entry.firstCluster) {
            let want = min(Int(entry.size) - data.count, Int(sectorsPerCluster) * 512)
            if want <= 0 { break }
            data += try disk.read(offset: offset(ofCluster: cluster), count: want)
        }
        guard data.count == Int(entry.size) else { throw Malformed(message: "\(path) is shorter than its directory entry says") }
        return data
    }

    private func offset(ofCluster cluster: UInt32) -> UInt64 {
        start + (dataStart + UInt64(cluster - 2) * sectorsPerCluster) * 512
    }

    private func chain(_ first: UInt32) throws -> [UInt32] {
        var clusters: [UInt32] = []
        var cluster = first
        let end: UInt32 = bitsPerEntry == 32 ? 0x0FFF_FFF8 : 0xFFF8
        while cluster >= 2, cluster < end {
            guard cluster < clusterCount + 2, clusters.count <= Int(clusterCount) else {
                throw Malformed(message: "a cluster chain points outside the volume or loops")
            }
            clusters.append(cluster)
            let width = bitsPerEntry / 8
            let at = start + fatStart * 512 + UInt64(cluster) * UInt64(width)
            let raw = try disk.read(offset: at, count: width)
            cluster = width == 4 ? raw.le32(at: 0) & 0x0FFF_FFFF : UInt32(raw.le16(at: 0))
        }
        return clusters
    }

    private func walk(directory cluster: UInt32, path: String, into out: inout [Entry], depth: Int) throws {
        guard depth < 16 else { throw Malformed(message: "directories nest too deeply") }
        var raw: [UInt8] = []
        if cluster == 0 {
            raw = try disk.read(offset: start + rootDirStart * 512, count: Int(rootDirSectors * 512))
        } else {
            for c in try chain(cluster) { raw += try disk.read(offset: offset(ofCluster: c), count: Int(sectorsPerCluster) * 512) }
        }
        var i = 0
        var longSlots: [[UInt8]] = []
        while i + 32 <= raw.count {
            defer { i += 32 }
            let first = raw[i]
            if first == 0 { break }
            let attributes = raw[i + 11]
            if first == 0xE5 || attributes & 0x08 != 0 && attributes != 0x0F { longSlots = []; continue }
            if attributes == 0x0F {
                longSlots.append(Array(raw[i..<i + 32]))
                continue
            }
            defer { longSlots = [] }
            let base = String(decoding: raw[i..<i + 8], as: UTF8.self).trimmingSpaces()
            let ext = String(decoding: raw[i + 8..<i + 11], as: UTF8.self).trimmingSpaces()
            if base == "." || base == ".." { continue }
            let name = FATLongName.name(fromSlots: longSlots, shortName: Array(raw[i..<i + 11]))
                ?? (ext.isEmpty ? base : base + "." + ext).lowercased()
            let firstCluster = UInt32(raw.le16(at: i + 20)) << 16 | UInt32(raw.le16(at: i + 26))
            let isDirectory = attributes & 0x10 != 0
            let entry = Entry(path: path + "/" + name, isDirectory: isDirectory, size: raw.le32(at: i + 28), firstCluster: firstCluster)
            out.append(entry)
            if isDirectory { try walk(directory: firstCluster, path: entry.path, into: &out, depth: depth + 1) }
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
