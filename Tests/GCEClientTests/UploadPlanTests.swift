import GCEClient
import Testing

@Suite struct UploadPlanTests {
    let kib256: Int64 = 262_144

    @Test func chunksAreMultiplesOf256KiBExceptTheLast() throws {
        let plan = try UploadPlan(total: 3 * kib256 + 1000, chunkSize: kib256)
        var offset: Int64 = 0
        var chunks: [Range<Int64>] = []
        while let chunk = plan.chunk(at: offset) {
            chunks.append(chunk)
            offset = chunk.upperBound
        }
        #expect(chunks == [0..<kib256, kib256..<2 * kib256, 2 * kib256..<3 * kib256, 3 * kib256..<3 * kib256 + 1000])
        #expect(plan.contentRange(chunks[0]) == "bytes 0-262143/787432")
        #expect(plan.contentRange(chunks[3]) == "bytes 786432-787431/787432")
        #expect(plan.statusQuery == "bytes */787432")
    }

    @Test func resumesFromWhateverTheServerHas() throws {
        let plan = try UploadPlan(total: 10 * kib256, chunkSize: 4 * kib256)
        // The server kept less than was sent: resend from its offset.
        #expect(plan.chunk(at: 3 * kib256) == 3 * kib256..<7 * kib256)
        #expect(plan.chunk(at: 8 * kib256) == 8 * kib256..<10 * kib256)
        #expect(plan.chunk(at: 10 * kib256) == nil)
    }

    @Test func emptyObjectIsOneEmptyFinalChunk() throws {
        let plan = try UploadPlan(total: 0, chunkSize: kib256)
        #expect(plan.chunk(at: 0) == 0..<0)
        #expect(plan.contentRange(0..<0) == "bytes */0")
        #expect(plan.chunk(at: 1) == nil)
    }

    @Test(arguments: [0, 1000, 262_143, 262_145, -262_144] as [Int64])
    func chunkSizeMustBeAMultipleOf256KiB(_ size: Int64) {
        #expect(throws: GCEClientError.self) { try UploadPlan(total: 10, chunkSize: size) }
    }

    @Test func persistedBytesFromTheRangeHeader() {
        #expect(UploadPlan.persistedBytes(range: nil) == 0)
        #expect(UploadPlan.persistedBytes(range: "") == 0)
        #expect(UploadPlan.persistedBytes(range: "bytes=0-262143") == 262_144)
        #expect(UploadPlan.persistedBytes(range: "bytes=0-0") == 0)  // gcp-storage-emulator before any data
        #expect(UploadPlan.persistedBytes(range: "bytes=5-10") == nil)
        #expect(UploadPlan.persistedBytes(range: "items=0-1") == nil)
        #expect(UploadPlan.persistedBytes(range: "bytes=0-x") == nil)
    }
}
