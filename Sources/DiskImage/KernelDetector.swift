/// Recognises the kernels Sortie can boot and explains what is wrong with anything else.
///
/// Pure: it looks only at the bytes it is given. `name` is used in messages.
public enum KernelDetector {
    static let multiboot1Magic: UInt32 = 0x1BAD_B002
    static let multiboot2Magic: UInt32 = 0xE852_50D6
    /// Multiboot v1 requires the header within the first 8 KiB, 4-byte aligned.
    static let multiboot1Window = 8192
    /// Multiboot2 requires the header within the first 32 KiB, 8-byte aligned.
    static let multiboot2Window = 32768

    /// Detects the kind of `bytes`, or throws a `KernelError` that says what the file is and what to do.
    ///
    /// A multiboot kernel is also checked as GRUB will load it: by the load addresses in its
    /// header when it gives them, otherwise as an ELF executable (class, data encoding, machine,
    /// program headers, segments, entry point, the header inside a loaded segment).
    public static func detect(_ bytes: [UInt8], name: String) throws -> KernelKind {
        if bytes.isEmpty {
            throw KernelError("\(name) is empty (0 bytes)", hint: "check that the build finished and wrote the kernel")
        }
        let isELF = bytes.matches([0x7F, 0x45, 0x4C, 0x46], at: 0)
        if let header = try multibootHeader(bytes, name: name) {
            if header.addresses != nil {
                try checkLoadAddresses(header, bytes, name: name)
            } else if isELF {
                try checkELFForGRUB(bytes, header: header, name: name)
            } else {
                throw KernelError("\(name) has a \(header.kind.displayName) header but is not an ELF file, and the header gives no load addresses, so GRUB has nothing to load",
                                  hint: "link the kernel as an ELF executable, or set the header's load addresses (multiboot v1: flag bit 16; v2: an address tag)")
            }
            return header.kind
        }
        if isELF {
            try checkELFComplete(bytes, name: name)
            throw nonMultibootELF(bytes, name: name)
        }
        if let linux = try linuxKind(bytes, name: name) { return linux }
        throw unrecognised(bytes, name: name)
    }

    // MARK: Multiboot

    static func multibootHeader(_ bytes: [UInt8], name: String) throws -> MultibootHeader? {
        var offset = 0
        while offset + 12 <= min(bytes.count, multiboot1Window) {
            if bytes.le32(at: offset) == multiboot1Magic {
                let flags = bytes.le32(at: offset + 4)
                let checksum = bytes.le32(at: offset + 8)
                if multiboot1Magic &+ flags &+ checksum == 0 {
                    var header = MultibootHeader(kind: .multiboot1, offset: offset, addresses: nil)
                    if flags & MultibootHeader.aoutKludge != 0 {
                        guard let addresses = MultibootHeader.multiboot1Addresses(bytes, offset: offset) else {
                            throw KernelError("\(name) is truncated: the file ends inside its multiboot header's load addresses",
                                              hint: "the build or a copy was interrupted; rebuild the kernel")
                        }
                        header.addresses = addresses
                    }
                    return header
                }
            }
            offset += 4
        }
        offset = 0
        while offset + 16 <= min(bytes.count, multiboot2Window) {
            if bytes.le32(at: offset) == multiboot2Magic {
                let arch = bytes.le32(at: offset + 4)
                let length = bytes.le32(at: offset + 8)
                let checksum = bytes.le32(at: offset + 12)
                if multiboot2Magic &+ arch &+ length &+ checksum == 0 {
                    guard arch == 0 else {
                        throw KernelError("\(name) has a Multiboot2 header for architecture \(arch), not i386",
                                          hint: "build the kernel for x86_64/i386 BIOS boot")
                    }
                    return MultibootHeader(kind: .multiboot2, offset: offset,
                                           addresses: MultibootHeader.multiboot2Addresses(bytes, offset: offset, length: Int(length)))
                }
            }
            offset += 8
        }
        return nil
    }

    // MARK: ELF

    /// Throws when the ELF header, program headers or loadable segments run past the end of the file.
    static func checkELFComplete(_ bytes: [UInt8], name: String) throws {
        let truncated = KernelError(
            "\(name) is a truncated ELF file (\(bytes.count) bytes): its headers point past the end of the file",
            hint: "the build or a copy was interrupted; rebuild the kernel")
        guard bytes.count >= 52 else { throw truncated }
        let is64 = bytes[4] == 2
        guard bytes[5] == 1 else {
            throw KernelError("\(name) is a big-endian ELF file", hint: "build the kernel for x86_64")
        }
        let headerSize = is64 ? 64 : 52
        guard bytes.count >= headerSize else { throw truncated }
        let phoff = is64 ? Int(clamping: bytes.le64(at: 32)) : Int(bytes.le32(at: 28))
        let phentsize = Int(bytes.le16(at: is64 ? 54 : 42))
        let phnum = Int(bytes.le16(at: is64 ? 56 : 44))
        guard phnum == 0 || (phoff <= bytes.count && phentsize > 0
                             && phoff + phnum * phentsize <= bytes.count) else { throw truncated }
        for i in 0..<phnum {
            let ph = phoff + i * phentsize
            let type = bytes.le32(at: ph)
            guard type == 1 else { continue } // PT_LOAD
            let offset = is64 ? bytes.le64(at: ph + 8) : UInt64(bytes.le32(at: ph + 4))
            let fileSize = is64 ? bytes.le64(at: ph + 32) : UInt64(bytes.le32(at: ph + 16))
            guard offset.addingReportingOverflow(fileSize).partialValue <= UInt64(bytes.count),
                  !offset.addingReportingOverflow(fileSize).overflow else { throw truncated }
        }
    }

    static func nonMultibootELF(_ bytes: [UInt8], name: String) -> KernelError {
        let machine = bytes.count >= 20 ? bytes.le16(at: 18) : 0
        let arch = machine == 62 ? "x86_64" : machine == 3 ? "i386" : machine == 183 ? "aarch64" : "machine \(machine)"
        if containsSolo5Note(bytes) {
            return KernelError(
                "\(name) is a Solo5 unikernel (ELF \(arch)) without a multiboot header: this looks like a Solo5 hvt or spt build",
                hint: "build with the virtio target (for MirageOS: `mirage configure -t virtio`), which boots from a disk with GRUB")
        }
        return KernelError(
            "\(name) is an ELF \(arch) file without a multiboot header: this looks like a Solo5 hvt/spt or unix build, or an ordinary program",
            hint: "build with the virtio target (`mirage configure -t virtio`), Unikraft's kvm/qemu platform, or give a Linux bzImage")
    }

    static func containsSolo5Note(_ bytes: [UInt8]) -> Bool {
        // Solo5 embeds an ELF note named "Solo5" (namesz 6) in every binary it links.
        let needle: [UInt8] = Array("Solo5\0".utf8)
        let limit = min(bytes.count, 1 << 20)
        var i = 0
        while i + needle.count <= limit {
            if bytes[i] == 0x53, bytes.matches(needle, at: i) { return true }
            i += 1
        }
        return false
    }

    // MARK: Linux

    static func linuxKind(_ bytes: [UInt8], name: String) throws -> KernelKind? {
        guard bytes.count >= 0x264, bytes.matches([0x55, 0xAA], at: 0x1FE),
              bytes.matches(Array("HdrS".utf8), at: 0x202) else { return nil }
        let version = bytes.le16(at: 0x206)
        guard version >= 0x0202 else {
            throw KernelError("\(name) is a Linux kernel with boot protocol \(version >> 8).\(version & 0xff), older than 2.02",
                              hint: "use a kernel from 2.4.0 or later")
        }
        var setupSectors = Int(bytes[0x1F1])
        if setupSectors == 0 { setupSectors = 4 }
        guard (setupSectors + 1) * 512 < bytes.count else {
            throw KernelError("\(name) is a truncated Linux bzImage (\(bytes.count) bytes)", hint: "rebuild or re-copy the kernel")
        }
        let maxCommandLine = version >= 0x0206 ? Int(bytes.le32(at: 0x238)) : 255
        return .linux(protocolVersion: version, maxCommandLine: maxCommandLine)
    }

    // MARK: Everything else

    static func unrecognised(_ bytes: [UInt8], name: String) -> KernelError {
        if bytes.matches([0x1F, 0x8B], at: 0) {
            return KernelError("\(name) is gzip-compressed data, not a kernel",
                               hint: "if it is a Sortie image archive, use `sortie image inspect`; otherwise decompress it and give the kernel itself")
        }
        if bytes.count >= 512, bytes.matches([0x55, 0xAA], at: 510) {
            return KernelError("\(name) looks like a disk image (it has an MBR boot signature), not a kernel",
                               hint: "give the kernel itself; `sortie boot` also accepts a disk image")
        }
        if bytes.matches(Array("#!".utf8), at: 0) {
            return KernelError("\(name) is a script, not a kernel", hint: "give the kernel the build produced")
        }
        let head = bytes.prefix(8).map { String(format2hex($0)) }.joined(separator: " ")
        return KernelError(
            "\(name) is not a kernel Sortie recognises: not an ELF with a multiboot header and not a Linux bzImage (first bytes: \(head))",
            hint: "give a multiboot ELF (Solo5 virtio, Unikraft kvm/qemu, IncludeOS) or a Linux bzImage")
    }

    static func format2hex(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }
}
