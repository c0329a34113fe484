import Testing
@testable import DiskImage

/// Turns extents into an in-memory disk, for reading back what the writers produced.
func materialise(_ layout: DiskLayout) -> ExtentDisk {
    ExtentDisk(size: layout.size, extents: layout.extents.map { extent in
        var data: [UInt8] = []
        for piece in extent.pieces {
            switch piece {
            case .bytes(let b): data += b
            case .zeros(let n): data += [UInt8](repeating: 0, count: n)
            case .shared(let block): data += block.bytes
            }
        }
        return (extent.offset, data)
    })
}

@Suite struct FAT32Tests {
    let oneGiBPartition: UInt32 = 2_097_152 - 2048

    @Test func geometryFollowsTheSpecificationAndAlignsTheDataRegion() throws {
        let g = try #require(FAT32Writer.geometry(totalSectors: oneGiBPartition, hiddenSectors: 2048))
        #expect(g.sectorsPerCluster == 8)
        #expect(g.clusterCount >= 65_525)
        #expect((2048 + g.dataStart) % 8 == 0)
        // Two FATs must hold an entry for every cluster plus the two reserved ones.
        #expect(UInt64(g.fatSectors) * 512 / 4 >= UInt64(g.clusterCount) + 2)
        // Microsoft's table: 4 KiB clusters up to 8 GiB, 16 KiB up to 32 GiB, 32 KiB beyond.
        let twenty = try #require(FAT32Writer.geometry(totalSectors: 20 * 2_097_152, hiddenSectors: 2048))
        #expect(twenty.sectorsPerCluster == 32)
        let forty = try #require(FAT32Writer.geometry(totalSectors: 40 * 2_097_152, hiddenSectors: 2048))
        #expect(forty.sectorsPerCluster == 64)
    }

    @Test func filesReadBackThroughTheReader() throws {
        let g = try #require(FAT32Writer.geometry(totalSectors: oneGiBPartition, hiddenSectors: 2048))
        let kernel = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let config = Array("set timeout=0\n".utf8)
        let extents = try FAT32Writer.build(geometry: g, volumeID: 0x1234_5678, label: "SORTIE",
                                            timestamp: DOSTimestamp(unixSeconds: 1_700_000_000),
                                            files: [FATFile(path: ["BOOT", "GRUB", "GRUB.CFG"], data: config[...]),
                                                    FATFile(path: ["BOOT", "KERNEL"], data: kernel[...]),
                                                    FATFile(path: ["EMPTY"], data: [][...])])
        let layout = DiskLayout(size: UInt64(oneGiBPartition) * 512, extents: extents)
        let reader = try FATReader(disk: materialise(layout), partitionOffset: 0)
        #expect(reader.bitsPerEntry == 32)
        #expect(reader.volumeID == 0x1234_5678)
        let paths = try reader.list().map(\.path)
        #expect(paths == ["/boot", "/boot/grub", "/boot/grub/grub.cfg", "/boot/kernel", "/empty"])
        #expect(try reader.read(path: "/boot/kernel") == kernel)
        #expect(try reader.read(path: "/BOOT/GRUB/GRUB.CFG") == config)
        #expect(try reader.read(path: "/empty") == [])
        #expect(try reader.read(path: "/missing") == nil)
        // Only the used sectors are data: a few KiB of metadata plus the files.
        #expect(layout.dataSize < 64 * 1024)
    }

    @Test func longNamesGetVFATEntriesAndReadBackUnderTheirOwnNames() throws {
        let g = try #require(FAT32Writer.geometry(totalSectors: oneGiBPartition, hiddenSectors: 2048))
        // 40 names in one directory: more than one cluster of entries, and clashing 6-letter stems.
        // abcdefghi.mod fills exactly one 13-character slot: no terminator, as the slot count assumes.
        let names = ["multiboot.mod", "multiboot2.mod", "part_msdos.mod", "priority_queue.mod", "net.mod", "abcdefghi.mod"]
            + (0..<34).map { "module_number_\($0).mod" }
        let files = names.enumerated().map { index, name in
            FATFile(path: ["BOOT", "GRUB", "i386-pc", name], data: [UInt8](repeating: UInt8(index), count: 100 + index)[...])
        }
        let extents = try FAT32Writer.build(geometry: g, volumeID: 1, label: "SORTIE",
                                            timestamp: DOSTimestamp(unixSeconds: 1_700_000_000), files: files)
        let reader = try FATReader(disk: materialise(DiskLayout(size: UInt64(oneGiBPartition) * 512, extents: extents)), partitionOffset: 0)
        let listed = try reader.list().map(\.path)
        #expect(listed.contains("/boot/grub/i386-pc"), "I386-PC fits 8.3 and reads back in lower case")
        for (index, name) in names.enumerated() {
            #expect(listed.contains("/boot/grub/i386-pc/\(name)"))
            #expect(try reader.read(path: "/boot/grub/i386-pc/\(name)") == [UInt8](repeating: UInt8(index), count: 100 + index))
        }
    }

    @Test func shortAliasesAreNumberedWithinADirectoryAndChecksummed() {
        var aliases = FATLongName.Aliases()
        #expect(aliases.next(for: "multiboot.mod") == "MULTIB~1.MOD")
        #expect(aliases.next(for: "multiboot2.mod") == "MULTIB~2.MOD")
        #expect(aliases.next(for: "priority_queue.mod") == "PRIORI~1.MOD")
        #expect(FATLongName.fitsShortName("GRUB.CFG") && FATLongName.fitsShortName("I386-PC"))
        #expect(!FATLongName.fitsShortName("grub.cfg") && !FATLongName.fitsShortName("part_msdos.mod"))
        // The checksum every long-name slot carries (Microsoft's FAT specification's algorithm).
        #expect(FATLongName.checksum(Array("MULTIB~1MOD".utf8)) == FATLongName.checksum(Array("MULTIB~1MOD".utf8)))
        #expect(FATLongName.checksum(Array("MULTIB~1MOD".utf8)) != FATLongName.checksum(Array("MULTIB~2MOD".utf8)))
        let slots = FATLongName.entries(for: "priority_queue.mod", shortName: Array("PRIORI~1MOD".utf8))
        #expect(slots.count == 64, "18 characters and a terminator take two 13-character slots")
        #expect(slots[0] == 0x42 && slots[32] == 0x01, "the last slot first, flagged 0x40")
        #expect(slots[11] == 0x0F && slots[43] == 0x0F)
        let exact = FATLongName.entries(for: "abcdefghi.mod", shortName: Array("ABCDEF~1MOD".utf8))
        #expect(exact.count == 32 && FATLongName.slots(for: "abcdefghi.mod") == 2, "13 characters: one slot, no terminator")
    }

    @Test func dosTimestampsCoverFATsRange() {
        let t = DOSTimestamp(unixSeconds: 1_700_000_000) // 2023-11-14 22:13:20 UTC
        #expect(t.date == UInt16((2023 - 1980) << 9 | 11 << 5 | 14))
        #expect(t.time == UInt16(22 << 11 | 13 << 5 | 10))
        #expect(DOSTimestamp(unixSeconds: 0) == DOSTimestamp(unixSeconds: 315_532_800))
    }
}
