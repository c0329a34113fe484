import CZlib
import Dispatch
import Foundation
import SortieSupport
import Synchronization

/// A gzip compressor that deflates fixed-size chunks on several cores and joins them into one
/// ordinary gzip member, the way pigz does.
///
/// Each chunk is a raw deflate stream primed with the last 32 KiB of the chunk before it (so
/// compression hardly suffers), ended with a sync flush so the streams concatenate; the last
/// chunk ends the member. The output depends only on the input, the level and the chunk size,
/// never on scheduling, so it is reproducible. Memory stays bounded by `batch` chunks in flight.
public final class ParallelGzipWriter: ByteSink {
    public let level: Int32
    public let chunkSize: Int
    public let batch: Int
    /// Threads compressing at once: one per core.
    public let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    private let sink: ByteSink
    private var pending: [[UInt8]] = []
    private var current: [UInt8] = []
    private var dictionary: [UInt8] = []
    private var crc: UInt = 0
    private var total: UInt64 = 0
    private var finished = false

    /// Failures inside zlib; these indicate a bug or exhausted memory, not bad input.
    public struct ZlibFailure: UserFacingError {
        public let message: String
        public var hint: String? { nil }
    }

    public init(sink: ByteSink, level: Int32 = 6, chunkSize: Int = 64 * 1024, batch: Int = 16) {
        self.sink = sink
        self.level = level
        self.chunkSize = chunkSize
        self.batch = batch
        current.reserveCapacity(chunkSize)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished)
        var rest = bytes[...]
        while !rest.isEmpty {
            let room = chunkSize - current.count
            let take = rest.prefix(room)
            current.append(contentsOf: take)
            rest = rest.dropFirst(take.count)
            if current.count == chunkSize {
                pending.append(current)
                current = []
                current.reserveCapacity(chunkSize)
                if pending.count == batch { try flush(isLast: false) }
            }
        }
    }

    public func write(_ piece: ExtentPiece) throws {
        if case .shared(let block) = piece { try writeShared(block) } else { try writeBytes(of: piece) }
    }

    /// A shared block is always its own chunk, compressed with no preset dictionary, so its
    /// deflate form is the same in every archive and may come from a cache.
    private func writeShared(_ block: SharedBlock) throws {
        precondition(!finished)
        if !current.isEmpty {
            pending.append(current)
            current = []
        }
        if !pending.isEmpty { try flush(isLast: false) }
        if !headerWritten {
            try sink.write(Self.header)
            headerWritten = true
        }
        guard let compressed = block.deflated ?? Self.deflateBlock(block.bytes, level: level) else {
            throw ZlibFailure(message: "zlib failed to compress a block (out of memory?)")
        }
        try sink.write(compressed)
        let blockCRC = block.bytes.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        crc = crc32_combine(crc, blockCRC, off_t(block.bytes.count))
        total += UInt64(block.bytes.count)
        dictionary = Array((dictionary + block.bytes).suffix(32 * 1024))
    }

    /// The raw deflate form of a shared block, as `write(.shared(...))` embeds it.
    public static func deflateBlock(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8]? {
        deflateChunk(bytes, dictionary: [], level: level, finish: false)?.0
    }

    /// Compresses what is left and writes the gzip trailer.
    public func finish() throws {
        precondition(!finished)
        finished = true
        if !current.isEmpty || pending.isEmpty { pending.append(current) }
        current = []
        try flush(isLast: true)
        var trailer = [UInt8](repeating: 0, count: 8)
        trailer.putLE32(UInt32(truncatingIfNeeded: crc), at: 0)
        trailer.putLE32(UInt32(truncatingIfNeeded: total), at: 4)
        try sink.write(trailer)
    }

    /// gzip header: deflate, no name, mtime 0, OS unix: the same bytes every time.
    static let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]
    private var headerWritten = false

    private func flush(isLast: Bool) throws {
        if !headerWritten {
            try sink.write(Self.header)
            headerWritten = true
        }
        let chunks = pending
        pending = []
        let dictionaries = [dictionary] + chunks.dropLast().map { Array($0.suffix(32 * 1024)) }
        let results = Results(count: chunks.count)
        let level = self.level
        Self.parallelFor(chunks.count, workers: workers) { i in
            let finishing = isLast && i == chunks.count - 1
            results.store(i, Self.deflateChunk(chunks[i], dictionary: dictionaries[i], level: level, finish: finishing))
        }
        for (i, result) in results.values.enumerated() {
            guard let (compressed, chunkCRC) = result else {
                throw ZlibFailure(message: "zlib failed to compress a chunk (out of memory?)")
            }
            try sink.write(compressed)
            crc = crc32_combine(crc, chunkCRC, off_t(chunks[i].count))
            total += UInt64(chunks[i].count)
        }
        if let last = chunks.last { dictionary = Array((dictionary + last).suffix(32 * 1024)) }
    }

    /// Runs `body(0..<count)` on `workers` threads (this one included), largest chunks first.
    /// Plain threads rather than `concurrentPerform`: its pool starts lazily on Linux and left a
    /// small job on one core.
    static func parallelFor(_ count: Int, workers: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let extra = min(workers, count) - 1
        guard extra > 0 else {
            for i in 0..<count { body(i) }
            return
        }
        let next = Counter()
        let group = DispatchGroup()
        let work: @Sendable () -> Void = {
            while let i = next.take(below: count) { body(i) }
        }
        for _ in 0..<extra {
            group.enter()
            Thread.detachNewThread {
                work()
                group.leave()
            }
        }
        work()
        group.wait()
    }

    /// The next chunk a worker thread takes.
    private final class Counter: Sendable {
        private let value = Mutex(0)
        func take(below limit: Int) -> Int? {
            value.withLock { value in
                guard value < limit else { return nil }
                defer { value += 1 }
                return value
            }
        }
    }

    /// Slots written by the worker threads, one each; read only after they have all finished.
    /// `@unchecked`: the threads write disjoint slots of a buffer whose size never changes, and
    /// the reader waits for them all (a dispatch group), so no lock is needed or taken.
    private final class Results: @unchecked Sendable {
        var values: [([UInt8], UInt)?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func store(_ i: Int, _ value: ([UInt8], UInt)?) {
            values.withUnsafeMutableBufferPointer { $0[i] = value }
        }
    }

    static func deflateChunk(_ input: [UInt8], dictionary: [UInt8], level: Int32, finish: Bool) -> ([UInt8], UInt)? {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        if !dictionary.isEmpty {
            var dict = dictionary
            guard dict.withUnsafeMutableBufferPointer({
                deflateSetDictionary(&stream, $0.baseAddress, uInt($0.count))
            }) == Z_OK else { return nil }
        }
        let bound = Int(deflateBound(&stream, uLong(input.count))) + 64
        var output = [UInt8](repeating: 0, count: bound)
        var input = input
        let (status, produced) = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf -> (Int32, Int) in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                let status = deflate(&stream, finish ? Z_FINISH : Z_SYNC_FLUSH)
                return (status, outBuf.count - Int(stream.avail_out))
            }
        }
        guard finish ? status == Z_STREAM_END : (status == Z_OK && stream.avail_in == 0) else { return nil }
        output.removeSubrange(produced...)
        let chunkCRC = input.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        return (output, chunkCRC)
    }
}
