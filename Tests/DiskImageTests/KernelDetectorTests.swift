import Testing
@testable import DiskImage

/// Minimal synthetic kernels: just enough header for the detector.
enum SyntheticKernel {
    /// A flat kernel loaded at 1 MiB through the a.out kludge: the whole file, entry right after the header.
    static func multiboot1(size: Int = 4096, at offset: Int = 64) -> [UInt8] {
        var b = [UInt8](repeating: 0x90, count: size)
        b.putLE32(0x1BAD_B002, at: offset)
        b.putLE32(0x0001_0003, at: offset + 4)
        b.putLE32(0 &- (0x1BAD_B002 &+ 0x0001_0003), at: offset + 8)
        if offset + 32 <= size {
            b.putLE32(0x10_0000 + UInt32(offset), at: offset + 12)  // header_addr
            b.putLE32(0x10_0000, at: offset + 16)                   // load_addr
            b.putLE32(0, at: offset + 20)                           // load_end_addr: the whole file
            b.putLE32(0, at: offset + 24)                           // bss_end_addr: none
            b.putLE32(0x10_0000 + UInt32(offset) + 32, at: offset + 28) // entry_addr
        }
        return b
    }

    /// A flat multiboot2 kernel: an address tag loading the whole file at 1 MiB, and an entry address tag.
    static func multiboot2(arch: UInt32 = 0) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 4096)
        let length: UInt32 = 16 + 24 + 16 + 8
        b.putLE32(0xE852_50D6, at: 256)
        b.putLE32(arch, at: 260)
        b.putLE32(length, at: 264)
        b.putLE32(0 &- (0xE852_50D6 &+ arch &+ length), at: 268)
        b.putLE16(2, at: 272); b.putLE32(24, at: 276)                 // address tag
        b.putLE32(0x10_0000 + 256, at: 280); b.putLE32(0x10_0000, at: 284); b.putLE32(0, at: 288); b.putLE32(0, at: 292)
        b.putLE16(3, at: 296); b.putLE32(12, at: 300); b.putLE32(0x10_0000 + 512, at: 304)  // entry address tag
        b.putLE16(0, at: 312); b.putLE32(8, at: 316)                  // end tag
        return b
    }

    /// An ELF executable with a multiboot v1 header (no load addresses) as GRUB loads it: one
    /// PT_LOAD segment of 4 KiB from file offset 0x1000 at 1 MiB (and 4 KiB of bss), entry and
    /// multiboot header at its start. 32- or 64-bit.
    static func elfMultiboot(is64: Bool = false) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 0x2000)
        b.replaceSubrange(0..<4, with: [0x7F, 0x45, 0x4C, 0x46])
        b[4] = is64 ? 2 : 1; b[5] = 1; b[6] = 1
        b.putLE16(2, at: 16)                               // ET_EXEC
        b.putLE16(is64 ? 62 : 3, at: 18)                   // e_machine
        b.putLE32(1, at: 20)                               // e_version
        b.putLE32(0x10_0010, at: 24)                       // e_entry (low half)
        let ph = is64 ? 64 : 52
        if is64 {
            b.putLE32(UInt32(ph), at: 32); b.putLE16(56, at: 54); b.putLE16(1, at: 56)
            b.putLE32(1, at: ph); b.putLE32(0x1000, at: ph + 8)
            b.putLE32(0x10_0000, at: ph + 16); b.putLE32(0x10_0000, at: ph + 24)
            b.putLE32(0x1000, at: ph + 32); b.putLE32(0x2000, at: ph + 40)
        } else {
            b.putLE32(UInt32(ph), at: 28); b.putLE16(32, at: 42); b.putLE16(1, at: 44)
            b.putLE32(1, at: ph); b.putLE32(0x1000, at: ph + 4)
            b.putLE32(0x10_0000, at: ph + 8); b.putLE32(0x10_0000, at: ph + 12)
            b.putLE32(0x1000, at: ph + 16); b.putLE32(0x2000, at: ph + 20)
        }
        b.putLE32(0x1BAD_B002, at: 0x1000)
        b.putLE32(3, at: 0x1004)
        b.putLE32(0 &- (0x1BAD_B002 &+ 3), at: 0x1008)
        return b
    }

    /// Offsets of the program header's fields in `elfMultiboot(is64: false)`.
    static let ph32 = (offset: 52 + 4, fileSize: 52 + 16)

    static func bzImage(version: UInt16 = 0x020F, size: Int = 16384) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: size)
        b[0x1F1] = 4
        b[0x1FE] = 0x55; b[0x1FF] = 0xAA
        b.putASCII("HdrS", at: 0x202, width: 4)
        b.putLE16(version, at: 0x206)
        b.putLE32(2048, at: 0x238)
        return b
    }

    /// A 64-bit ELF header with one PT_LOAD segment of `segmentSize` bytes at offset 0x1000.
    static func elf64(segmentSize: UInt64, fileSize: Int, solo5Note: Bool = false) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: fileSize)
        b.replaceSubrange(0..<4, with: [0x7F, 0x45, 0x4C, 0x46])
        b[4] = 2; b[5] = 1; b[6] = 1
        b.putLE16(2, at: 16); b.putLE16(62, at: 18)
        b.putLE32(64, at: 32)         // e_phoff (low half)
        b.putLE16(56, at: 54)         // e_phentsize
        b.putLE16(1, at: 56)          // e_phnum
        b.putLE32(1, at: 64)          // PT_LOAD
        b.putLE32(0x1000, at: 64 + 8) // p_offset
        b.putLE32(UInt32(segmentSize), at: 64 + 32)
        if solo5Note { b.replaceSubrange(200..<206, with: Array("Solo5\0".utf8)) }
        return b
    }
}

@Suite struct KernelDetectorTests {
    @Test func recognisesMultibootV1() throws {
        #expect(try KernelDetector.detect(SyntheticKernel.multiboot1(), name: "k") == .multiboot1)
    }

    @Test func ignoresMultibootMagicWithBadChecksumOrBeyondEightKiB() {
        var bad = SyntheticKernel.multiboot1()
        bad[64 + 8] ^= 1
        #expect(throws: KernelError.self) { try KernelDetector.detect(bad, name: "k") }
        let late = SyntheticKernel.multiboot1(size: 16384, at: 8192)
        #expect(throws: KernelError.self) { try KernelDetector.detect(late, name: "k") }
    }

    @Test func recognisesMultiboot2AndRefusesOtherArchitectures() throws {
        #expect(try KernelDetector.detect(SyntheticKernel.multiboot2(), name: "k") == .multiboot2)
        let error = #expect(throws: KernelError.self) { try KernelDetector.detect(SyntheticKernel.multiboot2(arch: 4), name: "k") }
        #expect(error?.message.contains("architecture 4") == true)
    }

    @Test func recognisesLinuxBzImageWithItsCommandLineLimit() throws {
        let kind = try KernelDetector.detect(SyntheticKernel.bzImage(), name: "vmlinuz")
        #expect(kind == .linux(protocolVersion: 0x020F, maxCommandLine: 2048))
        #expect(kind.displayName == "Linux bzImage (boot protocol 2.15)")
    }

    @Test func refusesTruncatedBzImage() {
        let error = #expect(throws: KernelError.self) { try KernelDetector.detect(SyntheticKernel.bzImage(size: 0x300), name: "vmlinuz") }
        #expect(error?.message.contains("truncated Linux bzImage") == true)
    }

    @Test func explainsEmptyFiles() {
        let error = #expect(throws: KernelError.self) { try KernelDetector.detect([], name: "k.virtio") }
        #expect(error?.message == "k.virtio is empty (0 bytes)")
    }

    @Test func explainsTruncatedELF() {
        let elf = SyntheticKernel.elf64(segmentSize: 0x2000, fileSize: 0x1800)
        let error = #expect(throws: KernelError.self) { try KernelDetector.detect(elf, name: "k") }
        #expect(error?.message.contains("truncated ELF") == true)
        let headerOnly = Array(SyntheticKernel.elf64(segmentSize: 16, fileSize: 0x2000).prefix(40))
        #expect(throws: KernelError.self) { try KernelDetector.detect(headerOnly, name: "k") }
    }

    @Test func explainsELFWithoutMultibootHeader() {
        let plain = SyntheticKernel.elf64(segmentSize: 16, fileSize: 0x2000)
        let error = #expect(throws: KernelError.self) { try KernelDetector.detect(plain, name: "hello.hvt") }
        #expect(error?.message.contains("without a multiboot header") == true)
        #expect(error?.message.contains("Solo5 hvt/spt") == true)
        #expect(error?.hint?.contains("virtio") == true)
    }

    @Test func namesSolo5BuildsForOtherTargets() {
        let solo5 = SyntheticKernel.elf64(segmentSize: 16, fileSize: 0x2000, solo5Note: true)
        let error = #expect(throws: KernelError.self) { try KernelDetector.detect(solo5, name: "hello.hvt") }
        #expect(error?.message.contains("is a Solo5 unikernel") == true)
        #expect(error?.hint?.contains("mirage configure -t virtio") == true)
    }

    @Test func explainsOtherFiles() {
        let gz = #expect(throws: KernelError.self) { try KernelDetector.detect([0x1F, 0x8B, 8, 0, 0, 0], name: "x.tar.gz") }
        #expect(gz?.message.contains("gzip-compressed") == true)
        var disk = [UInt8](repeating: 0, count: 1024)
        disk[510] = 0x55; disk[511] = 0xAA
        let d = #expect(throws: KernelError.self) { try KernelDetector.detect(disk, name: "disk.raw") }
        #expect(d?.message.contains("disk image") == true)
        let text = #expect(throws: KernelError.self) { try KernelDetector.detect(Array("hello world".utf8), name: "notes.txt") }
        #expect(text?.message.contains("first bytes: 68 65 6c 6c 6f 20 77 6f") == true)
    }

    // MARK: What GRUB's loaders need

    @Test func acceptsELFMultibootKernelsGRUBLoads() throws {
        #expect(try KernelDetector.detect(SyntheticKernel.elfMultiboot(), name: "k") == .multiboot1)
        #expect(try KernelDetector.detect(SyntheticKernel.elfMultiboot(is64: true), name: "k") == .multiboot1)
    }

    func refusal(_ bytes: [UInt8]) -> KernelError? {
        #expect(throws: KernelError.self) { try KernelDetector.detect(bytes, name: "k.virtio") }
    }

    @Test func refusesAnInvalidELFClass() {
        var elf = SyntheticKernel.elfMultiboot()
        elf[4] = 7
        let error = refusal(elf)
        #expect(error?.message == "k.virtio is an ELF file GRUB will not load: its class byte (EI_CLASS, offset 4) is 7, not 1 (32-bit) or 2 (64-bit)")
        #expect(error?.hint?.contains("rebuild the kernel") == true)
    }

    @Test func refusesBigEndianOtherMachinesAndObjectFiles() {
        var bigEndian = SyntheticKernel.elfMultiboot()
        bigEndian[5] = 2
        #expect(refusal(bigEndian)?.message.contains("data encoding (EI_DATA, offset 5) is 2, not 1 (little-endian)") == true)
        var arm = SyntheticKernel.elfMultiboot()
        arm.putLE16(40, at: 18)
        #expect(refusal(arm)?.message.contains("a 32-bit ELF for ARM; a 32-bit multiboot kernel must be for i386") == true)
        var mixed = SyntheticKernel.elfMultiboot(is64: true)
        mixed.putLE16(3, at: 18)
        #expect(refusal(mixed)?.message.contains("a 64-bit ELF for i386; a 64-bit multiboot kernel must be for x86_64") == true)
        var object = SyntheticKernel.elfMultiboot()
        object.putLE16(1, at: 16)
        #expect(refusal(object)?.message.contains("an object file, not linked yet") == true)
    }

    @Test func refusesProgramHeadersOutsideTheFileOrGRUBsWindow() {
        var outside = SyntheticKernel.elfMultiboot()
        outside.putLE32(0x1FF0, at: 28)
        #expect(refusal(outside)?.message.contains("truncated ELF file (8192 bytes): its program headers end at byte 8208") == true)
        var late = SyntheticKernel.elfMultiboot() + [UInt8](repeating: 0, count: 0x1000)
        late.replaceSubrange(0x2000..<0x2020, with: late[52..<84])
        late.putLE32(0x2000, at: 28)
        #expect(refusal(late)?.message.contains("past the first 8 KiB, where GRUB reads them") == true)
    }

    @Test func refusesSegmentsPastTheEndAndAHeaderOrEntryOutsideTheSegments() {
        var truncated = SyntheticKernel.elfMultiboot()
        truncated.putLE32(0x2000, at: SyntheticKernel.ph32.fileSize)
        #expect(refusal(truncated)?.message.contains("truncated ELF file (8192 bytes): a loadable segment ends past the end of the file") == true)
        var headerOutside = SyntheticKernel.elfMultiboot()
        headerOutside.putLE32(0x1010, at: SyntheticKernel.ph32.offset)
        headerOutside.putLE32(0xFF0, at: SyntheticKernel.ph32.fileSize)
        #expect(refusal(headerOutside)?.message.contains("its multiboot header (file offset 0x1000) is in no loadable segment") == true)
        var entryOutside = SyntheticKernel.elfMultiboot()
        entryOutside.putLE32(0x20_0000, at: 24)
        #expect(refusal(entryOutside)?.message.contains("its entry point 0x200000 is in no loadable segment") == true)
    }

    @Test func withLoadAddressesTheAddressesAreCheckedNotTheELFHeader() throws {
        var kludge = SyntheticKernel.multiboot1()
        kludge.replaceSubrange(0..<4, with: [0x7F, 0x45, 0x4C, 0x46])
        kludge[4] = 7  // GRUB does not read the ELF header of an a.out-kludge kernel
        #expect(try KernelDetector.detect(kludge, name: "k") == .multiboot1)
        var above = SyntheticKernel.multiboot1()
        above.putLE32(0x10_0100, at: 64 + 16)  // load_addr above header_addr
        #expect(refusal(above)?.message.contains("load_addr 0x100100 is above header_addr 0x100040") == true)
        var beforeFile = SyntheticKernel.multiboot1()
        beforeFile.putLE32(0x0F_0000, at: 64 + 16)  // the image would start 64 KiB before the file
        #expect(refusal(beforeFile)?.message.contains("but the header is only 0x40 bytes into the file") == true)
        var pastEnd = SyntheticKernel.multiboot1()
        pastEnd.putLE32(0x10_2000, at: 64 + 20)  // load_end_addr: 8 KiB of a 4 KiB file
        #expect(refusal(pastEnd)?.message.contains("is truncated: its multiboot header (a.out kludge) loads 8192 bytes from file offset 0") == true)
        var bss = SyntheticKernel.multiboot1()
        bss.putLE32(0x10_0800, at: 64 + 24)
        #expect(refusal(bss)?.message.contains("bss_end_addr 0x100800 is below the end of the loaded image 0x101000") == true)
        var entry = SyntheticKernel.multiboot1()
        entry.putLE32(0x20_0000, at: 64 + 28)
        #expect(refusal(entry)?.message.contains("entry_addr 0x200000 is outside the image (0x100000–0x101000)") == true)
        var mb2 = SyntheticKernel.multiboot2()
        mb2.putLE32(0x30_0000, at: 304)
        #expect(refusal(mb2)?.message.contains("multiboot2 address tag gives load addresses GRUB cannot use: entry_addr 0x300000") == true)
    }

    @Test func refusesAFlatKernelWithoutLoadAddresses() {
        var flat = SyntheticKernel.multiboot1()
        flat.putLE32(3, at: 64 + 4)
        flat.putLE32(0 &- (0x1BAD_B002 &+ 3), at: 64 + 8)
        #expect(refusal(flat)?.message.contains("is not an ELF file, and the header gives no load addresses") == true)
    }
}
