/// A multiboot (v1 or v2) header found in a kernel, with what GRUB needs to load the file: either
/// load addresses from the header (v1's a.out kludge, flag bit 16; v2's address tag), or nothing,
/// and then GRUB loads the file as an ELF executable by its program headers.
struct MultibootHeader: Equatable {
    /// Where to put the file in memory, as the header says.
    struct LoadAddresses: Equatable {
        var header: UInt32
        var load: UInt32
        /// 0: up to the end of the file.
        var loadEnd: UInt32
        /// 0: no bss.
        var bssEnd: UInt32
        /// nil when the header gives none (a v2 header without an entry address tag).
        var entry: UInt32?
    }

    var kind: KernelKind
    /// The header's offset in the file.
    var offset: Int
    var addresses: LoadAddresses?

    /// The multiboot search window: GRUB reads this much of the file for the header and for an
    /// ELF's program headers (8 KiB for v1, 32 KiB for v2).
    var window: Int { kind == .multiboot1 ? KernelDetector.multiboot1Window : KernelDetector.multiboot2Window }

    /// The header's `magic` field to the end of its fixed part, for "is it inside a segment".
    var fixedSize: Int { kind == .multiboot1 ? 12 : 16 }

    static let aoutKludge: UInt32 = 1 << 16
    static let addressTag: UInt16 = 2
    static let entryAddressTag: UInt16 = 3

    /// The v1 load addresses at `offset` (the header is 32 bytes with them), or nil if the file
    /// ends inside them.
    static func multiboot1Addresses(_ bytes: [UInt8], offset: Int) -> LoadAddresses? {
        guard offset + 32 <= bytes.count else { return nil }
        return LoadAddresses(header: bytes.le32(at: offset + 12), load: bytes.le32(at: offset + 16), loadEnd: bytes.le32(at: offset + 20),
                             bssEnd: bytes.le32(at: offset + 24), entry: bytes.le32(at: offset + 28))
    }

    /// The v2 address tag (and entry address tag) of the header at `offset` of `length` bytes, if any.
    static func multiboot2Addresses(_ bytes: [UInt8], offset: Int, length: Int) -> LoadAddresses? {
        var addresses: LoadAddresses?
        var entry: UInt32?
        var tag = offset + 16
        let end = min(offset + length, bytes.count)
        while tag + 8 <= end {
            let type = bytes.le16(at: tag), size = Int(bytes.le32(at: tag + 4))
            if type == 0 || size < 8 { break }
            if type == addressTag, size >= 24, tag + 24 <= end {
                addresses = LoadAddresses(header: bytes.le32(at: tag + 8), load: bytes.le32(at: tag + 12),
                                          loadEnd: bytes.le32(at: tag + 16), bssEnd: bytes.le32(at: tag + 20), entry: nil)
            }
            if type == entryAddressTag, size >= 12, tag + 12 <= end { entry = bytes.le32(at: tag + 8) }
            tag += (size + 7) & ~7
        }
        addresses?.entry = entry
        return addresses
    }
}

extension KernelDetector {
    /// With load addresses, GRUB copies bytes from `offset - (header - load)` in the file to
    /// `load`: check that this is inside the file, in order, and that the entry is in what is loaded.
    static func checkLoadAddresses(_ header: MultibootHeader, _ bytes: [UInt8], name: String) throws {
        guard let a = header.addresses else { return }
        let field = header.kind == .multiboot1 ? "multiboot header (a.out kludge)" : "multiboot2 address tag"
        func refuse(_ problem: String) -> KernelError {
            KernelError("\(name): the \(field) gives load addresses GRUB cannot use: \(problem)",
                        hint: "check the linker script symbols behind header_addr, load_addr, load_end_addr, bss_end_addr and entry_addr")
        }
        guard a.load <= a.header else {
            throw refuse("load_addr \(hex(a.load)) is above header_addr \(hex(a.header)); the header must be inside the loaded image")
        }
        let start = header.offset - Int(a.header - a.load)
        guard start >= 0 else {
            throw refuse("header_addr - load_addr is \(hex(a.header - a.load)), but the header is only \(hex(UInt32(header.offset))) bytes into the file")
        }
        let loadSize: Int
        if a.loadEnd == 0 {
            loadSize = bytes.count - start
        } else {
            guard a.loadEnd > a.load else { throw refuse("load_end_addr \(hex(a.loadEnd)) is not above load_addr \(hex(a.load))") }
            loadSize = Int(a.loadEnd - a.load)
            guard start + loadSize <= bytes.count else {
                throw KernelError("\(name) is truncated: its \(field) loads \(loadSize) bytes from file offset \(start), past the end of the file (\(bytes.count) bytes)",
                                  hint: "the build or a copy was interrupted; rebuild the kernel")
            }
        }
        let loadedEnd = UInt64(a.load) + UInt64(loadSize)
        guard UInt64(a.header) + UInt64(header.fixedSize) <= loadedEnd else {
            throw refuse("the header at \(hex(a.header)) is past the loaded image, which ends at \(hex64(loadedEnd))")
        }
        var end = loadedEnd
        if a.bssEnd != 0 {
            guard UInt64(a.bssEnd) >= loadedEnd else {
                throw refuse("bss_end_addr \(hex(a.bssEnd)) is below the end of the loaded image \(hex64(loadedEnd))")
            }
            end = UInt64(a.bssEnd)
        }
        if let entry = a.entry {
            guard entry >= a.load, UInt64(entry) < end else {
                throw refuse("entry_addr \(hex(entry)) is outside the image (\(hex(a.load))–\(hex64(end)))")
            }
        } else if !bytes.matches([0x7F, 0x45, 0x4C, 0x46], at: 0) {
            throw refuse("there is no entry address tag, and the file is not an ELF whose entry point GRUB could use")
        }
    }

    static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }
    static func hex64(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
}
