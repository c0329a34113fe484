import Testing
@testable import DiskImage

@Suite struct MasterBootRecordTests {
    @Test func keepsBootCodeSignatureAndPartitionTable() {
        let code = [UInt8](repeating: 0xAB, count: 512)
        let part = MBRPartition(bootable: true, type: 0x0C, firstSector: 2048, sectorCount: 2_095_104)
        let sector = MasterBootRecord.make(bootCode: code, diskSignature: 0xDEAD_BEEF, partitions: [part])
        #expect(sector.count == 512)
        #expect(sector[0..<440].allSatisfy { $0 == 0xAB })
        #expect(Array(sector[440..<444]) == [0xEF, 0xBE, 0xAD, 0xDE])
        #expect(sector[510] == 0x55 && sector[511] == 0xAA)
        let parsed = MasterBootRecord.parse(sector)
        #expect(parsed.partitions == [part])
        #expect(parsed.diskSignature == 0xDEAD_BEEF && parsed.hasBootCode && parsed.hasBootSignature)
    }

    @Test func chsSaturatesBeyondTheCHSLimit() {
        #expect(MasterBootRecord.chs(2048) == [32, 33, 0])
        #expect(MasterBootRecord.chs(100_000_000) == [254, 0xFF, 0xFF])
    }
}
