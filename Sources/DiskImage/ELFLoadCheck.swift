/// What GRUB's multiboot ELF loader (`grub-core/loader/multiboot_elfxx.c`) requires of a kernel
/// whose multiboot header gives no load addresses, checked before an image is built so that a
/// kernel GRUB would refuse at boot is refused here, with the reason.
extension KernelDetector {
    static func checkELFForGRUB(_ bytes: [UInt8], header: MultibootHeader, name: String) throws {
        func refuse(_ problem: String, hint: String = "rebuild the kernel; the file is damaged or was not linked as an x86 executable") -> KernelError {
            KernelError("\(name) is an ELF file GRUB will not load: \(problem)", hint: hint)
        }
        let elfClass = bytes[4]
        guard elfClass == 1 || elfClass == 2 else {
            throw refuse("its class byte (EI_CLASS, offset 4) is \(elfClass), not 1 (32-bit) or 2 (64-bit)")
        }
        let is64 = elfClass == 2
        guard bytes.count >= (is64 ? 64 : 52) else {
            throw KernelError("\(name) is a truncated ELF file (\(bytes.count) bytes)", hint: "the build or a copy was interrupted; rebuild the kernel")
        }
        guard bytes[5] == 1 else {
            throw refuse("its data encoding (EI_DATA, offset 5) is \(bytes[5]), not 1 (little-endian)", hint: "build the kernel for x86_64 or i386")
        }
        let version = bytes.le32(at: 20)
        guard version == 1 else { throw refuse("its version (e_version) is \(version), not 1") }
        let machine = bytes.le16(at: 18), wanted: UInt16 = is64 ? 62 : 3
        guard machine == wanted else {
            let names: [UInt16: String] = [3: "i386", 62: "x86_64", 40: "ARM", 183: "AArch64", 243: "RISC-V"]
            throw refuse("it is a \(is64 ? 64 : 32)-bit ELF for \(names[machine] ?? "machine \(machine)"); a \(is64 ? 64 : 32)-bit multiboot kernel must be for \(names[wanted]!)",
                         hint: "build the kernel for x86 (Solo5 virtio, Unikraft's kvm/qemu platform on x86_64)")
        }
        let type = bytes.le16(at: 16)
        guard type == 2 || type == 3 else {
            throw refuse("its type (e_type) is \(type), not an executable (2) or shared object (3)\(type == 1 ? ": this is an object file, not linked yet" : "")")
        }
        let phoff = is64 ? bytes.le64(at: 32) : UInt64(bytes.le32(at: 28))
        let phentsize = UInt64(bytes.le16(at: is64 ? 54 : 42)), phnum = UInt64(bytes.le16(at: is64 ? 56 : 44))
        guard phnum > 0, phentsize >= (is64 ? 56 : 32) else { throw refuse("it has no program headers, so nothing to load") }
        let phEnd = phoff + phnum * phentsize
        guard phEnd <= UInt64(bytes.count) else {
            throw KernelError("\(name) is a truncated ELF file (\(bytes.count) bytes): its program headers end at byte \(phEnd)",
                              hint: "the build or a copy was interrupted; rebuild the kernel")
        }
        guard phEnd <= UInt64(header.window) else {
            throw refuse("its program headers end at byte \(phEnd), past the first \(header.window / 1024) KiB, where GRUB reads them",
                         hint: "link with the program headers at the start of the file (the default of GNU ld)")
        }
        var segments: [(offset: UInt64, fileSize: UInt64, virtual: UInt64, physical: UInt64, memorySize: UInt64)] = []
        for index in 0..<Int(phnum) {
            let ph = Int(phoff) + index * Int(phentsize)
            guard bytes.le32(at: ph) == 1 else { continue }  // PT_LOAD
            let segment = is64
                ? (bytes.le64(at: ph + 8), bytes.le64(at: ph + 32), bytes.le64(at: ph + 16), bytes.le64(at: ph + 24), bytes.le64(at: ph + 40))
                : (UInt64(bytes.le32(at: ph + 4)), UInt64(bytes.le32(at: ph + 16)), UInt64(bytes.le32(at: ph + 8)),
                   UInt64(bytes.le32(at: ph + 12)), UInt64(bytes.le32(at: ph + 20)))
            let (end, overflow) = segment.0.addingReportingOverflow(segment.1)
            guard !overflow, end <= UInt64(bytes.count) else {
                throw KernelError("\(name) is a truncated ELF file (\(bytes.count) bytes): a loadable segment ends past the end of the file",
                                  hint: "the build or a copy was interrupted; rebuild the kernel")
            }
            guard segment.1 <= segment.4 else {
                throw refuse("a loadable segment has more bytes in the file (\(segment.1)) than in memory (\(segment.4))")
            }
            segments.append(segment)
        }
        guard !segments.isEmpty else { throw refuse("it has no loadable (PT_LOAD) segment") }
        if is64, let top = segments.map({ $0.physical &+ $0.memorySize }).max(), top > 0x1_0000_0000 {
            throw refuse("a segment ends at physical address \(hex64(top)), above 4 GiB, which a multiboot loader cannot reach",
                         hint: "link the kernel below 4 GiB (e.g. at 1 MiB)")
        }
        let entry = is64 ? bytes.le64(at: 24) : UInt64(bytes.le32(at: 24))
        guard segments.contains(where: { $0.virtual <= entry && entry < $0.virtual &+ $0.memorySize }) else {
            throw refuse("its entry point \(hex64(entry)) is in no loadable segment", hint: "check ENTRY() in the linker script")
        }
        let start = UInt64(header.offset), end = start + UInt64(header.fixedSize)
        guard segments.contains(where: { $0.offset <= start && end <= $0.offset + $0.fileSize }) else {
            throw refuse("its multiboot header (file offset \(hex64(start))) is in no loadable segment",
                         hint: "put the header's section first in the first loaded segment (e.g. KEEP(*(.multiboot)) at the start of .text)")
        }
    }
}
