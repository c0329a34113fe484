import Testing
@testable import DiskImage

@Suite struct ArchiveTests {
    func layout(extentCount: Int, size: UInt64 = 1 << 30) -> DiskLayout {
        DiskLayout(size: size, extents: (0..<extentCount).map { i in
            Extent(offset: UInt64(i) * 1_048_576, bytes: [UInt8](repeating: UInt8(i + 1), count: 700))
        })
    }

    @Test func sparseMapEndsLikeGNUTars() {
        let map = OldGNUTar.sparseMap(of: layout(extentCount: 2))
        #expect(map == [.init(offset: 0, length: 1024), .init(offset: 1_048_576, length: 1024), .init(offset: 1 << 30, length: 0)])
    }

    @Test func headersRoundTripThroughTheReaderWithExtendedSparseBlocks() throws {
        for count in [1, 4, 5, 30] {
            let l = layout(extentCount: count)
            let sink = MemorySink()
            try OldGNUTar.write(layout: l, name: "disk.raw", mtime: 315_532_800, to: sink)
            #expect(sink.bytes.count % OldGNUTar.record == 0)
            #expect(sink.bytes.matches(Array("ustar  \0".utf8), at: 257))
            let reader = TarReader(MemorySource(sink.bytes))
            let member = try #require(try reader.next())
            #expect(member.name == "disk.raw" && member.typeflag == "S" && member.dialect == .oldgnu)
            #expect(member.realSize == 1 << 30)
            #expect(member.sparseMap == OldGNUTar.sparseMap(of: l))
            let data = try reader.readData()
            #expect(data.count == count * 1024)
            #expect(data[1024 * (count - 1)] == UInt8(count))
            #expect(try reader.next() == nil)
        }
    }

    @Test func largeSizesUseBase256() throws {
        let l = layout(extentCount: 1, size: 16 << 30)
        let head = OldGNUTar.headers(name: "disk.raw", layout: l, mtime: 0)
        #expect(head[483] == 0x80)
        let member = try #require(try TarReader(MemorySource(head + [UInt8](repeating: 0, count: 2048))).next())
        #expect(member.realSize == 16 << 30)
    }

    @Test func aCorruptHeaderIsRefused() {
        let sink = MemorySink()
        try? OldGNUTar.write(layout: layout(extentCount: 1), name: "disk.raw", mtime: 0, to: sink)
        var bytes = sink.bytes
        bytes[10] ^= 0xFF
        #expect(throws: TarReader.Malformed.self) { try TarReader(MemorySource(bytes)).next() }
    }

    @Test(arguments: [0, 1, 1000, 65_536, 65_537, 1_000_000])
    func parallelGzipRoundTrips(size: Int) throws {
        var state: UInt32 = 12345
        let input = (0..<size).map { i -> UInt8 in
            state = state &* 1_103_515_245 &+ 12345
            return i % 3 == 0 ? UInt8(truncatingIfNeeded: state >> 16) : UInt8(i % 251)
        }
        let first = MemorySink(), second = MemorySink()
        for sink in [first, second] {
            let gzip = ParallelGzipWriter(sink: sink, chunkSize: 65_536, batch: 3)
            try gzip.write(input)
            try gzip.finish()
        }
        #expect(first.bytes == second.bytes)
        #expect(first.bytes.prefix(4) == [0x1F, 0x8B, 8, 0])
        let reader = try GzipReader(MemorySource(first.bytes))
        var output: [UInt8] = []
        while true {
            let chunk = try reader.read(max: 100_000)
            if chunk.isEmpty { break }
            output += chunk
        }
        #expect(output == input)
    }

    @Test func truncatedGzipIsReported() throws {
        let sink = MemorySink()
        let gzip = ParallelGzipWriter(sink: sink)
        try gzip.write([UInt8](repeating: 7, count: 100_000))
        try gzip.finish()
        let reader = try GzipReader(MemorySource(Array(sink.bytes.prefix(sink.bytes.count / 2))))
        #expect(throws: GzipReader.Corrupt.self) { while try !reader.read(max: 1 << 20).isEmpty {} }
    }
}

@Suite struct SharedBlockTests {
    /// An archive must not depend on whether core.img's deflate form came from the cache.
    @Test func cachedDeflateGivesTheSameArchiveAsCompressingAgain() throws {
        let shared = (0..<150_000).map { UInt8(truncatingIfNeeded: $0 &* 31 ^ $0 >> 7) }
        let tail = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 % 97) }
        var outputs: [[UInt8]] = []
        for deflated in [nil, ParallelGzipWriter.deflateBlock(shared)] {
            let sink = MemorySink()
            let gzip = ParallelGzipWriter(sink: sink, chunkSize: 65_536)
            try gzip.write([1, 2, 3])
            try gzip.write(.shared(SharedBlock(bytes: shared, deflated: deflated)))
            try gzip.write(tail)
            try gzip.finish()
            outputs.append(sink.bytes)
        }
        #expect(outputs[0] == outputs[1])
        let reader = try GzipReader(MemorySource(outputs[0]))
        var plain: [UInt8] = []
        while true {
            let chunk = try reader.read(max: 1 << 20)
            if chunk.isEmpty { break }
            plain += chunk
        }
        #expect(plain == [1, 2, 3] + shared + tail)
    }
}
