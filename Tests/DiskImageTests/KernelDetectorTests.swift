import Testing
@testable import DiskImage

/// Minimal synthetic kernels: just enough header for the detector.
enum SyntheticKernel {
    static func multiboot1(size: Int = 4096, at offset: Int = 64) -> [UInt8] {
        var b = [UInt8](repeating: 0x90, count: size)
        b.putLE32(0x1BAD_B002, at: offset)
        b.putLE32(0x0001_0003, at: offset + 4)
        b.putLE32(0 &- (0x1BAD_B002 &+ 0x0001_0003), at: offset + 8)
        return b
    }

    static func multiboot2(arch: UInt32 = 0) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 4096)
        b.putLE32(0xE852_50D6, at: 256)
        b.putLE32(arch, at: 260)
        b.putLE32(24, at: 264)
        b.putLE32(0 &- (0xE852_50D6 &+ arch &+ 24), at: 268)
        return b
    }

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
}
