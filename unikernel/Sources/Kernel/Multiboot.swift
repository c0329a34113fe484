/// What the boot loader tells the kernel (multiboot v1 information structure).
struct MultibootInfo {
    /// Magic value in EAX from a multiboot v1 loader.
    static let magic: UInt32 = 0x2BADB002

    /// A usable RAM range.
    struct Region { var start: UInt; var end: UInt }

    var commandLine: String = ""
    var regions: [Region] = []
    /// Total usable RAM in bytes (all available regions).
    var totalMemory: UInt = 0

    /// Reads the structure at physical address `address` (identity mapped). Only its memory map
    /// is read before the heap exists: see `usableRegion(address:)`.
    init(address: UInt) {
        guard let info = UnsafeRawPointer(bitPattern: address) else { return }
        let flags = info.load(fromByteOffset: 0, as: UInt32.self)
        if flags & (1 << 2) != 0, let cmd = UnsafePointer<UInt8>(bitPattern: UInt(info.load(fromByteOffset: 16, as: UInt32.self))) {
            var n = 0
            while cmd[n] != 0 && n < 4096 { n += 1 }
            commandLine = String(decoding: UnsafeBufferPointer(start: cmd, count: n), as: UTF8.self)
        }
        MultibootInfo.forEachAvailable(info: info) { start, end in
            regions.append(Region(start: start, end: end))
            totalMemory += end - start
        }
    }

    /// The largest available RAM range above the kernel image and below 4 GiB (the identity
    /// map), for the heap; read without allocating.
    static func heapRegion(address: UInt, kernelEnd: UInt) -> Region? {
        guard let info = UnsafeRawPointer(bitPattern: address) else { return nil }
        var best: Region? = nil
        forEachAvailable(info: info) { start, end in
            let s = max(start, kernelEnd)
            let e = min(end, 4 << 30)
            if e > s, e - s > (best.map { $0.end - $0.start } ?? 0) { best = Region(start: s, end: e) }
        }
        if best == nil {
            // No memory map: use mem_upper (KiB above 1 MiB).
            let flags = info.load(fromByteOffset: 0, as: UInt32.self)
            if flags & 1 != 0 {
                let upper = UInt(info.load(fromByteOffset: 8, as: UInt32.self)) * 1024 + 0x100000
                if upper > kernelEnd { best = Region(start: kernelEnd, end: min(upper, 4 << 30)) }
            }
        }
        return best
    }

    private static func forEachAvailable(info: UnsafeRawPointer, _ body: (UInt, UInt) -> Void) {
        let flags = info.load(fromByteOffset: 0, as: UInt32.self)
        guard flags & (1 << 6) != 0 else { return }
        let length = UInt(info.load(fromByteOffset: 44, as: UInt32.self))
        let base = UInt(info.load(fromByteOffset: 48, as: UInt32.self))
        var offset: UInt = 0
        while offset + 24 <= length {
            guard let entry = UnsafeRawPointer(bitPattern: base + offset) else { return }
            let size = UInt(entry.loadUnaligned(as: UInt32.self))
            let start = UInt(entry.loadUnaligned(fromByteOffset: 4, as: UInt64.self))
            let len = UInt(entry.loadUnaligned(fromByteOffset: 12, as: UInt64.self))
            let type = entry.loadUnaligned(fromByteOffset: 20, as: UInt32.self)
            if type == 1 && len > 0 { body(start, start + len) }
            offset += size + 4
        }
    }
}
