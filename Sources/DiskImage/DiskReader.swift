import SortieSupport

/// Random access to a disk's bytes, whatever holds them.
public protocol DiskReader: AnyObject {
    var size: UInt64 { get }
    /// `count` bytes at `offset`; holes read as zeros. Throws past the end.
    func read(offset: UInt64, count: Int) throws -> [UInt8]
}

/// A disk held as its data extents in memory (what a sparse tar member unpacks to).
public final class ExtentDisk: DiskReader {
    public let size: UInt64
    /// Sorted by offset, not overlapping.
    public let extents: [(offset: UInt64, data: [UInt8])]

    public struct OutOfRange: UserFacingError {
        public let message: String
        public var hint: String? { "the image is damaged" }
    }

    public init(size: UInt64, extents: [(offset: UInt64, data: [UInt8])]) {
        self.size = size
        self.extents = extents.sorted { $0.offset < $1.offset }
    }

    /// Splits the stored bytes of a sparse tar member along its map.
    public convenience init(size: UInt64, map: [OldGNUTar.SparseEntry], stored: [UInt8]) {
        var extents: [(UInt64, [UInt8])] = []
        var position = 0
        for entry in map where entry.length > 0 {
            extents.append((entry.offset, Array(stored[position..<position + Int(entry.length)])))
            position += Int(entry.length)
        }
        self.init(size: size, extents: extents)
    }

    public func read(offset: UInt64, count: Int) throws -> [UInt8] {
        guard offset + UInt64(count) <= size else {
            throw OutOfRange(message: "read of \(count) bytes at \(offset) is past the end of the \(size)-byte disk")
        }
        var out = [UInt8](repeating: 0, count: count)
        let end = offset + UInt64(count)
        for extent in extents {
            let extentEnd = extent.offset + UInt64(extent.data.count)
            if extentEnd <= offset { continue }
            if extent.offset >= end { break }
            let from = max(offset, extent.offset)
            let to = min(end, extentEnd)
            out.replaceSubrange(Int(from - offset)..<Int(to - offset),
                               with: extent.data[Int(from - extent.offset)..<Int(to - extent.offset)])
        }
        return out
    }
}
