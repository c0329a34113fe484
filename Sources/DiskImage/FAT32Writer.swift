import SortieSupport

/// A file to place on a FAT volume, by its path (e.g. `["BOOT", "GRUB", "GRUB.CFG"]`). A name
/// that is not an upper-case 8.3 name gets a VFAT long name and a short alias (`MULTIB~1.MOD`).
public struct FATFile: Sendable {
    public var path: [String]
    public var data: ArraySlice<UInt8>

    public init(path: [String], data: ArraySlice<UInt8>) {
        self.path = path
        self.data = data
    }
}

/// Formats and fills a FAT32 volume in memory-light form: only the sectors that hold data become extents.
///
/// The layout follows Microsoft's FAT specification: 2 FATs, cluster size by volume size,
/// FSInfo at sector 1, backup boot sector at 6, and the data region aligned to 4 KiB of the disk.
public enum FAT32Writer {
    public struct Geometry: Equatable, Sendable {
        public var totalSectors: UInt32
        public var hiddenSectors: UInt32
        public var sectorsPerCluster: UInt32
        public var reservedSectors: UInt32
        public var fatSectors: UInt32
        public var clusterCount: UInt32

        public var dataStart: UInt32 { reservedSectors + 2 * fatSectors }
        public var clusterBytes: Int { Int(sectorsPerCluster) * Size.sector }

        /// Sector (relative to the partition) where `cluster` starts.
        public func sector(ofCluster cluster: UInt32) -> UInt32 { dataStart + (cluster - 2) * sectorsPerCluster }
    }

    /// Chooses the geometry for a partition of `totalSectors` starting at `hiddenSectors` on the disk.
    public static func geometry(totalSectors: UInt32, hiddenSectors: UInt32) -> Geometry? {
        let spc: UInt32 = totalSectors <= 16_777_216 ? 8 : totalSectors <= 33_554_432 ? 16 : totalSectors <= 67_108_864 ? 32 : 64
        for reserved in UInt32(32)..<UInt32(32 + 8) {
            let tmp1 = totalSectors - reserved
            let tmp2 = (256 * spc + 2) / 2
            let fat = (tmp1 + tmp2 - 1) / tmp2
            guard (hiddenSectors + reserved + 2 * fat) % 8 == 0 else { continue }
            guard totalSectors > reserved + 2 * fat else { return nil }
            let clusters = (totalSectors - reserved - 2 * fat) / spc
            guard clusters >= 65_525 else { return nil }
            return Geometry(totalSectors: totalSectors, hiddenSectors: hiddenSectors, sectorsPerCluster: spc,
                            reservedSectors: reserved, fatSectors: fat, clusterCount: clusters)
        }
        return nil
    }

    /// Why a volume cannot be written.
    public struct Failure: UserFacingError {
        public let message: String
        public let hint: String?
    }

    /// Returns the volume's extents, with offsets relative to the start of the partition.
    public static func build(geometry g: Geometry, volumeID: UInt32, label: String,
                             timestamp: DOSTimestamp, files: [FATFile]) throws -> [Extent] {
        var plan = Plan(geometry: g, timestamp: timestamp)
        plan.add(files: files)
        guard plan.nextCluster - 2 <= g.clusterCount else {
            throw Failure(message: "the files (\(formatBytes(files.reduce(0) { $0 + UInt64($1.data.count) }))) do not fit in a \(formatBytes(UInt64(g.totalSectors) * 512)) partition",
                          hint: "give a larger --size")
        }
        let sector = UInt64(Size.sector)
        var extents: [Extent] = []
        let boot = bootSector(g, volumeID: volumeID, label: label)
        let info = fsInfo(free: g.clusterCount - (plan.nextCluster - 2), next: plan.nextCluster)
        extents.append(Extent(offset: 0, bytes: boot + info))
        extents.append(Extent(offset: 6 * sector, bytes: boot + info))
        let fat = plan.fatBytes()
        extents.append(Extent(offset: UInt64(g.reservedSectors) * sector, bytes: fat))
        extents.append(Extent(offset: UInt64(g.reservedSectors + g.fatSectors) * sector, bytes: fat))
        for (cluster, pieces) in plan.data {
            extents.append(Extent(offset: UInt64(g.sector(ofCluster: cluster)) * sector, pieces: pieces))
        }
        return extents
    }

    static func bootSector(_ g: Geometry, volumeID: UInt32, label: String) -> [UInt8] {
        var s = [UInt8](repeating: 0, count: Size.sector)
        s[0] = 0xEB; s[1] = 0x58; s[2] = 0x90           // jmp to 0x5A
        s.putASCII("SORTIE", at: 3, width: 8)
        s.putLE16(512, at: 11)
        s[13] = UInt8(g.sectorsPerCluster)
        s.putLE16(UInt16(g.reservedSectors), at: 14)
        s[16] = 2                                      // FATs
        s[21] = 0xF8                                   // media: fixed disk
        s.putLE16(63, at: 24)                          // sectors per track
        s.putLE16(255, at: 26)                         // heads
        s.putLE32(g.hiddenSectors, at: 28)
        s.putLE32(g.totalSectors, at: 32)
        s.putLE32(g.fatSectors, at: 36)
        s.putLE32(2, at: 44)                           // root directory cluster
        s.putLE16(1, at: 48)                           // FSInfo sector
        s.putLE16(6, at: 50)                           // backup boot sector
        s[64] = 0x80                                   // drive number
        s[66] = 0x29                                   // extended boot signature
        s.putLE32(volumeID, at: 67)
        s.putASCII(label, at: 71, width: 11)
        s.putASCII("FAT32", at: 82, width: 8)
        s[0x5A] = 0xF4; s[0x5B] = 0xEB; s[0x5C] = 0xFD  // not bootable itself: hlt; jmp $-1
        s[510] = 0x55; s[511] = 0xAA
        return s
    }

    static func fsInfo(free: UInt32, next: UInt32) -> [UInt8] {
        var s = [UInt8](repeating: 0, count: Size.sector)
        s.putLE32(0x4161_5252, at: 0)
        s.putLE32(0x6141_7272, at: 484)
        s.putLE32(free, at: 488)
        s.putLE32(next, at: 492)
        s.putLE32(0xAA55_0000, at: 508)
        return s
    }

    /// Cluster allocation and directory contents, built before any bytes are laid out.
    struct Plan {
        let geometry: Geometry
        let timestamp: DOSTimestamp
        var nextCluster: UInt32 = 3 // cluster 2 is the root directory
        var chains: [(first: UInt32, count: UInt32)] = []
        var data: [(UInt32, [ExtentPiece])] = []

        init(geometry: Geometry, timestamp: DOSTimestamp) {
            self.geometry = geometry
            self.timestamp = timestamp
        }

        final class Directory {
            var cluster: UInt32 = 0
            var entries: [(name: String, dir: Directory?, file: ArraySlice<UInt8>?, cluster: UInt32)] = []
            var children: [String: Directory] = [:]
        }

        mutating func add(files: [FATFile]) {
            let root = Directory()
            root.cluster = 2
            // Build the tree, in the order the files were given.
            for file in files {
                var dir = root
                for name in file.path.dropLast() {
                    if let child = dir.children[name] { dir = child; continue }
                    let child = Directory()
                    dir.children[name] = child
                    dir.entries.append((name, child, nil, 0))
                    dir = child
                }
                dir.entries.append((file.path.last!, nil, file.data, 0))
            }
            // Allocate: directories breadth-first after the root, then file data in order.
            var queue = [root]
            var order: [Directory] = []
            while !queue.isEmpty {
                let d = queue.removeFirst()
                order.append(d)
                for e in d.entries { if let c = e.dir { queue.append(c) } }
            }
            let clusterBytes = UInt32(geometry.clusterBytes)
            let dirClusters = { (d: Directory) -> UInt32 in
                let slots = d.entries.reduce(2 + 1) { $0 + FATLongName.slots(for: $1.name) }
                return max(1, (UInt32(slots) * 32 + clusterBytes - 1) / clusterBytes)
            }
            chains.append((2, dirClusters(root)))
            nextCluster = 2 + dirClusters(root)
            for d in order.dropFirst() {
                d.cluster = nextCluster
                chains.append((nextCluster, dirClusters(d)))
                nextCluster += dirClusters(d)
            }
            for d in order {
                for i in d.entries.indices {
                    if let c = d.entries[i].dir { d.entries[i].cluster = c.cluster; continue }
                    let bytes = d.entries[i].file!
                    guard !bytes.isEmpty else { continue }
                    let count = UInt32((bytes.count + geometry.clusterBytes - 1) / geometry.clusterBytes)
                    d.entries[i].cluster = nextCluster
                    chains.append((nextCluster, count))
                    data.append((nextCluster, [.bytes(bytes)]))
                    nextCluster += count
                }
            }
            for d in order {
                data.append((d.cluster, [.bytes(directoryBytes(d, parent: d === root ? nil : parent(of: d, in: order), isRoot: d === root)[...])]))
            }
            data.sort { $0.0 < $1.0 }
        }

        func parent(of d: Directory, in order: [Directory]) -> Directory? {
            order.first { p in p.entries.contains { $0.dir === d } }
        }

        func directoryBytes(_ d: Directory, parent: Directory?, isRoot: Bool) -> [UInt8] {
            var out: [UInt8] = []
            if isRoot {
                out += entry(name: "SORTIE", attributes: 0x08, cluster: 0, size: 0, isLabel: true)
            } else {
                out += entry(name: ".", attributes: 0x10, cluster: d.cluster, size: 0)
                let up = parent.map { $0.cluster == 2 ? 0 : $0.cluster } ?? 0
                out += entry(name: "..", attributes: 0x10, cluster: up, size: 0)
            }
            var aliases = FATLongName.Aliases()
            for e in d.entries {
                var short = e.name
                if !FATLongName.fitsShortName(e.name) {
                    short = aliases.next(for: e.name)
                    out += FATLongName.entries(for: e.name, shortName: FAT32Writer.shortName(short))
                }
                if e.dir != nil {
                    out += entry(name: short, attributes: 0x10, cluster: e.cluster, size: 0)
                } else {
                    out += entry(name: short, attributes: 0x20, cluster: e.cluster, size: UInt32(e.file!.count))
                }
            }
            return out
        }

        func entry(name: String, attributes: UInt8, cluster: UInt32, size: UInt32, isLabel: Bool = false) -> [UInt8] {
            var e = [UInt8](repeating: 0, count: 32)
            e.replaceSubrange(0..<11, with: FAT32Writer.shortName(name, isLabel: isLabel))
            e[11] = attributes
            if !isLabel {
                e.putLE16(timestamp.time, at: 14)
                e.putLE16(timestamp.date, at: 16)
                e.putLE16(timestamp.date, at: 18)
                e.putLE16(UInt16(cluster >> 16), at: 20)
            }
            e.putLE16(timestamp.time, at: 22)
            e.putLE16(timestamp.date, at: 24)
            if !isLabel { e.putLE16(UInt16(cluster & 0xFFFF), at: 26) }
            e.putLE32(size, at: 28)
            return e
        }

        func fatBytes() -> [UInt8] {
            var fat = [UInt8](repeating: 0, count: Int(nextCluster) * 4)
            fat.putLE32(0x0FFF_FFF8, at: 0)
            fat.putLE32(0x0FFF_FFFF, at: 4)
            for chain in chains {
                for i in 0..<chain.count {
                    let cluster = chain.first + i
                    let next = i + 1 == chain.count ? 0x0FFF_FFFF : cluster + 1
                    fat.putLE32(next, at: Int(cluster) * 4)
                }
            }
            return fat
        }
    }

    /// "GRUB.CFG" → `GRUB    CFG`; "." and ".." as FAT writes them.
    static func shortName(_ name: String, isLabel: Bool = false) -> [UInt8] {
        var out = [UInt8](repeating: 0x20, count: 11)
        if name == "." || name == ".." || isLabel {
            for (i, b) in name.utf8.prefix(11).enumerated() { out[i] = b }
            return out
        }
        let parts = name.uppercased().split(separator: ".", maxSplits: 1)
        for (i, b) in parts[0].utf8.prefix(8).enumerated() { out[i] = b }
        if parts.count > 1 { for (i, b) in parts[1].utf8.prefix(3).enumerated() { out[8 + i] = b } }
        return out
    }
}
