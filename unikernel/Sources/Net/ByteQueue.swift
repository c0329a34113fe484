/// A FIFO of bytes: appended at the end, consumed from the front, storage reused.
public struct ByteQueue {
    private var storage: [UInt8] = []
    private var head = 0

    /// An empty queue.
    public init() {}

    /// Bytes queued.
    public var count: Int { storage.count - head }
    /// Whether no byte is queued.
    public var isEmpty: Bool { count == 0 }

    /// Appends `n` bytes from `p`.
    public mutating func append(_ p: UnsafeRawPointer, _ n: Int) {
        compactIfNeeded(adding: n)
        storage.append(contentsOf: UnsafeRawBufferPointer(start: p, count: n))
    }

    /// Appends bytes.
    public mutating func append(_ bytes: [UInt8]) {
        compactIfNeeded(adding: bytes.count)
        storage.append(contentsOf: bytes)
    }

    /// Appends bytes.
    public mutating func append(_ bytes: ArraySlice<UInt8>) {
        compactIfNeeded(adding: bytes.count)
        storage.append(contentsOf: bytes)
    }

    /// Drops the first `n` bytes.
    public mutating func removeFirst(_ n: Int) {
        head += min(n, count)
        if head == storage.count {
            storage.removeAll(keepingCapacity: storage.capacity <= 65536)
            head = 0
        }
    }

    /// Copies `n` bytes starting `offset` bytes from the front to `destination`.
    public func copy(from offset: Int, count n: Int, to destination: UnsafeMutableRawPointer) {
        storage.withUnsafeBytes { b in
            destination.copyMemory(from: b.baseAddress! + head + offset, byteCount: n)
        }
    }

    /// Calls `body` with the queued bytes.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        storage.withUnsafeBytes { b in body(UnsafeRawBufferPointer(rebasing: b[head...])) }
    }

    /// Takes every queued byte.
    public mutating func takeAll() -> [UInt8] {
        let out = Array(storage[head...])
        storage.removeAll(keepingCapacity: storage.capacity <= 65536)
        head = 0
        return out
    }

    private mutating func compactIfNeeded(adding n: Int) {
        if head > 0 && (head >= 4096 || storage.count + n > storage.capacity) && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }
}
