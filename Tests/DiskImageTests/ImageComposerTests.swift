import Testing
@testable import DiskImage

@Suite struct ImageComposerTests {
    func spec(kernel: [UInt8] = SyntheticKernel.multiboot1(), kind: KernelKind = .multiboot1, cmdline: String = "a b",
              size: Int = 1, initrd: [UInt8]? = nil) -> ImageSpec {
        ImageSpec(kernel: kernel, kernelKind: kind, initrd: initrd, commandLine: cmdline, sizeGiB: size,
                  grubBootImage: [UInt8](repeating: 0xEB, count: 512), grubCoreImage: [UInt8](repeating: 0xC0, count: 150_000),
                  timestamp: 315_532_800)
    }

    @Test func layoutHasMBRCoreImageAndABootableFAT32Partition() throws {
        let layout = try ImageComposer.compose(spec())
        #expect(layout.size == 1 << 30)
        let disk = materialise(layout)
        let mbr = MasterBootRecord.parse(try disk.read(offset: 0, count: 512))
        #expect(mbr.partitions == [MBRPartition(bootable: true, type: 0x0C, firstSector: 2048, sectorCount: 2_097_152 - 2048)])
        #expect(try disk.read(offset: 512, count: 4) == [0xC0, 0xC0, 0xC0, 0xC0])
        let fat = try FATReader(disk: disk, partitionOffset: 2048 * 512)
        #expect(try fat.read(path: "/boot/kernel") == spec().kernel)
        let config = String(decoding: try #require(try fat.read(path: "/boot/grub/grub.cfg")), as: UTF8.self)
        #expect(config.contains("multiboot /boot/kernel /boot/kernel 'a' 'b'"))
    }

    @Test func sameInputsSameSignatureAndDifferentKernelsDifferent() throws {
        let a = MasterBootRecord.parse(try materialise(ImageComposer.compose(spec())).read(offset: 0, count: 512))
        let b = MasterBootRecord.parse(try materialise(ImageComposer.compose(spec())).read(offset: 0, count: 512))
        let c = MasterBootRecord.parse(try materialise(ImageComposer.compose(spec(cmdline: "other"))).read(offset: 0, count: 512))
        #expect(a.diskSignature == b.diskSignature)
        #expect(a.diskSignature != c.diskSignature)
    }

    @Test func linuxGetsASerialConsoleUnlessOneIsNamed() throws {
        let linux = KernelKind.linux(protocolVersion: 0x20f, maxCommandLine: 2048)
        #expect(ImageComposer.effectiveCommandLine(spec(kernel: SyntheticKernel.bzImage(), kind: linux, cmdline: "quiet")) == "console=ttyS0,115200 quiet")
        #expect(ImageComposer.effectiveCommandLine(spec(kernel: SyntheticKernel.bzImage(), kind: linux, cmdline: "console=tty0")) == "console=tty0")
    }

    @Test func refusesAKernelLargerThanTheDisk() {
        let error = #expect(throws: ImageError.self) {
            try ImageComposer.compose(spec(kernel: SyntheticKernel.multiboot1(size: 1_100_000_000)))
        }
        #expect(error?.message.contains("do not fit on a 1 GiB disk") == true)
        #expect(error?.hint == "give --size 3 or more")
    }

    @Test func refusesInitrdForMultibootAndBadSizes() {
        #expect(throws: ImageError.self) { try ImageComposer.compose(spec(initrd: [1, 2, 3])) }
        #expect(throws: ImageError.self) { try ImageComposer.compose(spec(size: 0)) }
        #expect(throws: ImageError.self) { try ImageComposer.compose(spec(size: 4096)) }
    }
}
