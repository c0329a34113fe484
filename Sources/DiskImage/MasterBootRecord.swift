/// One primary partition entry in an MBR.
public struct MBRPartition: Equatable, Sendable {
    public var bootable: Bool
    public var type: UInt8
    public var firstSector: UInt32
    public var sectorCount: UInt32

    public init(bootable: Bool, type: UInt8, firstSector: UInt32, sectorCount: UInt32) {
        self.bootable = bootable
        self.type = type
        self.firstSector = firstSector
        self.sectorCount = sectorCount
    }

    /// FAT32 with LBA addressing.
    public static let typeFAT32LBA: UInt8 = 0x0C

    public var typeName: String {
        switch type {
        case 0x01: return "FAT12"
        case 0x04, 0x06, 0x0E: return "FAT16"
        case 0x0B: return "FAT32 (CHS)"
        case 0x0C: return "FAT32 (LBA)"
        case 0x83: return "Linux"
        case 0xEE: return "GPT protective"
        case 0xEF: return "EFI system"
        default: return "type 0x" + KernelDetector.format2hex(type)
        }
    }
}

/// The first sector of a BIOS-bootable disk: boot code, disk signature, four partition entries.
public enum MasterBootRecord {
    /// Boot code occupies bytes 0–439; the disk signature and partition table follow.
    public static let bootCodeSize = 440

    /// Builds sector 0 from GRUB's `boot.img` (only its first 440 bytes are used).
    public static func make(bootCode: [UInt8], diskSignature: UInt32, partitions: [MBRPartition]) -> [UInt8] {
        precondition(partitions.count <= 4)
        var sector = [UInt8](repeating: 0, count: Size.sector)
        sector.replaceSubrange(0..<bootCodeSize, with: bootCode.prefix(bootCodeSize))
        sector.putLE32(diskSignature, at: 440)
        for (i, p) in partitions.enumerated() {
            let entry = 446 + 16 * i
            sector[entry] = p.bootable ? 0x80 : 0
            sector.replaceSubrange(entry + 1..<entry + 4, with: chs(p.firstSector))
            sector[entry + 4] = p.type
            sector.replaceSubrange(entry + 5..<entry + 8, with: chs(p.firstSector + p.sectorCount - 1))
            sector.putLE32(p.firstSector, at: entry + 8)
            sector.putLE32(p.sectorCount, at: entry + 12)
        }
        sector[510] = 0x55
        sector[511] = 0xAA
        return sector
    }

    /// Cylinder/head/sector address with 255 heads and 63 sectors per track, saturated past 1023 cylinders.
    static func chs(_ lba: UInt32) -> [UInt8] {
        let heads: UInt32 = 255, sectors: UInt32 = 63
        var cylinder = lba / (heads * sectors)
        var head = (lba / sectors) % heads
        var sector = lba % sectors + 1
        if cylinder > 1023 { cylinder = 1023; head = 254; sector = 63 }
        return [UInt8(head), UInt8((sector & 0x3F) | ((cylinder >> 2) & 0xC0)), UInt8(cylinder & 0xFF)]
    }

    /// Parsed contents of sector 0.
    public struct Parsed: Sendable {
        public var hasBootSignature: Bool
        public var hasBootCode: Bool
        public var diskSignature: UInt32
        public var partitions: [MBRPartition]
    }

    /// Reads sector 0; partitions with type 0 are left out.
    public static func parse(_ sector: [UInt8]) -> Parsed {
        guard sector.count >= Size.sector else {
            return Parsed(hasBootSignature: false, hasBootCode: false, diskSignature: 0, partitions: [])
        }
        var partitions: [MBRPartition] = []
        for i in 0..<4 {
            let entry = 446 + 16 * i
            guard sector[entry + 4] != 0 else { continue }
            partitions.append(MBRPartition(bootable: sector[entry] == 0x80, type: sector[entry + 4],
                                           firstSector: sector.le32(at: entry + 8), sectorCount: sector.le32(at: entry + 12)))
        }
        return Parsed(hasBootSignature: sector[510] == 0x55 && sector[511] == 0xAA,
                      hasBootCode: sector[0..<bootCodeSize].contains { $0 != 0 },
                      diskSignature: sector.le32(at: 440), partitions: partitions)
    }
}
