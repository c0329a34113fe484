/// A sequential source of bytes: a file, a decompressor.
public protocol ByteSource: AnyObject {
    /// Up to `max` next bytes; an empty array at the end.
    func read(max: Int) throws -> [UInt8]
}

extension ByteSource {
    /// Exactly `count` bytes, or nil if the source ends first.
    public func read(exactly count: Int) throws -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let chunk = try read(max: count - out.count)
            if chunk.isEmpty { return nil }
            out += chunk
        }
        return out
    }

    /// Reads and discards `count` bytes; false if the source ends first.
    public func skip(_ count: UInt64) throws -> Bool {
        var left = count
        while left > 0 {
            let chunk = try read(max: Int(min(left, 1 << 20)))
            if chunk.isEmpty { return false }
            left -= UInt64(chunk.count)
        }
        return true
    }
}

/// Bytes already in memory.
public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var position = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public func read(max: Int) throws -> [UInt8] {
        let end = min(bytes.count, position + max)
        defer { position = end }
        return Array(bytes[position..<end])
    }
}
