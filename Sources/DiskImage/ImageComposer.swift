import CZlib
import SortieSupport

/// Everything that determines an image's bytes. Two equal specs give byte-identical images.
public struct ImageSpec: Sendable {
    public var kernel: [UInt8]
    public var kernelKind: KernelKind
    public var initrd: [UInt8]?
    public var commandLine: String
    public var sizeGiB: Int
    /// GRUB's `boot.img` (512 bytes; the first 440 are used).
    public var grubBootImage: [UInt8]
    /// GRUB's `core.img` built with `GrubConfig.early` and `GrubConfig.modules`.
    public var grubCoreImage: [UInt8]
    /// core.img's cached raw deflate form (see `SharedBlock`), if known; never changes the output.
    public var grubCoreDeflated: [UInt8]?
    /// GRUB module files for the partition (`GrubConfig.moduleFiles`), by module name.
    public var grubModules: [GrubModule]
    /// Timestamp for files (FAT) and the archive member (tar), seconds since 1970.
    public var timestamp: Int64

    public init(kernel: [UInt8], kernelKind: KernelKind, initrd: [UInt8]?, commandLine: String, sizeGiB: Int,
                grubBootImage: [UInt8], grubCoreImage: [UInt8], grubCoreDeflated: [UInt8]? = nil,
                grubModules: [GrubModule] = [], timestamp: Int64) {
        self.kernel = kernel
        self.kernelKind = kernelKind
        self.initrd = initrd
        self.commandLine = commandLine
        self.sizeGiB = sizeGiB
        self.grubBootImage = grubBootImage
        self.grubCoreImage = grubCoreImage
        self.grubCoreDeflated = grubCoreDeflated
        self.grubModules = grubModules
        self.timestamp = timestamp
    }
}

/// One GRUB module file (`NAME.mod` from GRUB's i386-pc directory).
public struct GrubModule: Sendable, Equatable {
    public var name: String
    public var bytes: [UInt8]

    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }
}

/// Why an image cannot be made from a spec.
public struct ImageError: UserFacingError {
    public let message: String
    public let hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}

/// Lays out a bootable disk: MBR with GRUB's boot code, core.img from sector 1, and one
/// bootable FAT32 partition from sector 2048 to the end holding `/boot/grub/grub.cfg`,
/// `/boot/kernel`, for Linux `/boot/initrd`, and GRUB's modules in `/boot/grub/i386-pc`.
public enum ImageComposer {
    /// First sector of the FAT partition; sectors 1..<2048 hold core.img.
    public static let partitionStart: UInt32 = 2048
    /// Largest disk GCE imports.
    public static let maxSizeGiB = 2048

    /// The full layout of the disk described by `spec`.
    public static func compose(_ spec: ImageSpec) throws -> DiskLayout {
        guard (1...maxSizeGiB).contains(spec.sizeGiB) else {
            throw ImageError("disk size \(spec.sizeGiB) GiB is out of range", hint: "give --size between 1 and \(maxSizeGiB) (GiB)")
        }
        if spec.initrd != nil, spec.kernelKind.isMultiboot {
            throw ImageError("--initrd is for Linux kernels; this kernel is \(spec.kernelKind.displayName)",
                             hint: "leave out --initrd")
        }
        let coreSectors = (spec.grubCoreImage.count + Size.sector - 1) / Size.sector
        guard coreSectors > 0, coreSectors < Int(partitionStart) - 1 else {
            throw ImageError("GRUB's core.img is \(spec.grubCoreImage.count) bytes; it must fit in the 1 MiB before the partition")
        }
        let diskSize = UInt64(spec.sizeGiB) * Size.gibibyte
        let totalSectors = UInt32(diskSize / UInt64(Size.sector)) - partitionStart
        guard let geometry = FAT32Writer.geometry(totalSectors: totalSectors, hiddenSectors: partitionStart) else {
            throw ImageError("cannot lay out a FAT32 partition of \(totalSectors) sectors")
        }
        let payload = UInt64(spec.kernel.count) + UInt64(spec.initrd?.count ?? 0)
        let capacity = UInt64(geometry.clusterCount) * UInt64(geometry.clusterBytes)
        if payload + 64 * 1024 > capacity {
            let needed = (payload + 64 * 1024 + UInt64(partitionStart) * 512 + Size.gibibyte - 1) / Size.gibibyte + 1
            throw ImageError("the kernel\(spec.initrd == nil ? "" : " and initrd") (\(formatBytes(payload))) do not fit on a \(spec.sizeGiB) GiB disk",
                             hint: "give --size \(needed) or more")
        }
        let config = try GrubConfig.render(kind: spec.kernelKind, commandLine: effectiveCommandLine(spec),
                                           hasInitrd: spec.initrd != nil)
        let identity = contentHash(spec, config: config)
        var files = [FATFile(path: ["BOOT", "GRUB", "GRUB.CFG"], data: Array(config.utf8)[...]),
                     FATFile(path: ["BOOT", "KERNEL"], data: spec.kernel[...])]
        if let initrd = spec.initrd { files.append(FATFile(path: ["BOOT", "INITRD"], data: initrd[...])) }
        for module in spec.grubModules {
            files.append(FATFile(path: GrubConfig.moduleDirectory + ["\(module.name).mod"], data: module.bytes[...]))
        }
        let volume = try FAT32Writer.build(geometry: geometry, volumeID: identity.volumeID, label: "SORTIE",
                                           timestamp: DOSTimestamp(unixSeconds: spec.timestamp), files: files)
        let mbr = MasterBootRecord.make(bootCode: spec.grubBootImage, diskSignature: identity.diskSignature,
                                        partitions: [MBRPartition(bootable: true, type: MBRPartition.typeFAT32LBA,
                                                                  firstSector: partitionStart, sectorCount: totalSectors)])
        let core = SharedBlock(bytes: spec.grubCoreImage, deflated: spec.grubCoreDeflated)
        var extents = [Extent(offset: 0, pieces: [.bytes(mbr[...]), .shared(core)])]
        let base = UInt64(partitionStart) * UInt64(Size.sector)
        for var extent in volume {
            extent.offset += base
            extents.append(extent)
        }
        return DiskLayout(size: diskSize, extents: extents)
    }

    /// Linux kernels get `console=ttyS0,115200` when the command line names no console, so their
    /// output reaches the serial port that GCE and `sortie boot` read.
    public static func effectiveCommandLine(_ spec: ImageSpec) -> String {
        guard case .linux = spec.kernelKind else { return spec.commandLine }
        let words = spec.commandLine.split(separator: " ")
        if words.contains(where: { $0.hasPrefix("console=") }) { return spec.commandLine }
        return (["console=ttyS0,115200"] + words.map(String.init)).joined(separator: " ")
    }

    /// Disk signature and FAT volume ID derived from the content, so they are stable across builds.
    static func contentHash(_ spec: ImageSpec, config: String) -> (diskSignature: UInt32, volumeID: UInt32) {
        var crc = crc32(0, nil, 0)
        spec.kernel.withUnsafeBufferPointer { crc = crc32(crc, $0.baseAddress, uInt($0.count)) }
        spec.initrd?.withUnsafeBufferPointer { crc = crc32(crc, $0.baseAddress, uInt($0.count)) }
        let tail = Array(config.utf8) + Array(String(spec.sizeGiB).utf8)
        tail.withUnsafeBufferPointer { crc = crc32(crc, $0.baseAddress, uInt($0.count)) }
        let signature = UInt32(truncatingIfNeeded: crc)
        var second = crc
        let salt: [UInt8] = Array("volume".utf8)
        salt.withUnsafeBufferPointer { second = crc32(second, $0.baseAddress, uInt($0.count)) }
        return (signature == 0 ? 1 : signature, UInt32(truncatingIfNeeded: second))
    }
}
