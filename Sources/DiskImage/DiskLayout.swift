/// A piece of an extent: bytes from somewhere, or a run of zeros.
public enum ExtentPiece: Sendable {
    case bytes(ArraySlice<UInt8>)
    case zeros(Int)
    /// Bytes that are the same in every image (GRUB's core.img), which a compressor may
    /// replace by their cached deflate form.
    case shared(SharedBlock)

    public var count: Int {
        switch self {
        case .bytes(let b): return b.count
        case .zeros(let n): return n
        case .shared(let block): return block.bytes.count
        }
    }

    /// The bytes this piece holds, or nil for a run of zeros.
    public var storedBytes: ArraySlice<UInt8>? {
        switch self {
        case .bytes(let b): return b
        case .shared(let block): return block.bytes[...]
        case .zeros: return nil
        }
    }
}

/// A block of bytes shared by many images, with its raw deflate form when known.
///
/// The deflate form must be what `ParallelGzipWriter.deflateBlock(bytes)` produces (raw deflate,
/// no preset dictionary, ended by a sync flush), so that an archive is byte-identical whether
/// the cached form was used or not.
public struct SharedBlock: Sendable {
    public var bytes: [UInt8]
    public var deflated: [UInt8]?

    public init(bytes: [UInt8], deflated: [UInt8]?) {
        self.bytes = bytes
        self.deflated = deflated
    }
}

/// A run of data at a fixed offset in a disk; everything not covered by an extent is zero.
public struct Extent: Sendable {
    public var offset: UInt64
    public var pieces: [ExtentPiece]

    public init(offset: UInt64, pieces: [ExtentPiece]) {
        self.offset = offset
        self.pieces = pieces
    }

    public init(offset: UInt64, bytes: [UInt8]) {
        self.init(offset: offset, pieces: [.bytes(bytes[...])])
    }

    public var length: UInt64 { pieces.reduce(0) { $0 + UInt64($1.count) } }
    public var end: UInt64 { offset + length }
}

/// A whole disk described as its size plus the data extents in it, in order and not overlapping.
///
/// This is how Sortie avoids ever holding a 1 GiB disk: the raw writer and the tar writer
/// both walk the extents and treat the gaps as holes.
public struct DiskLayout: Sendable {
    public let size: UInt64
    public private(set) var extents: [Extent]

    /// Sorts `extents`, joins those that touch, pads each to whole sectors, and checks they fit.
    public init(size: UInt64, extents: [Extent]) {
        precondition(size % UInt64(Size.sector) == 0, "disk size must be whole sectors")
        var sorted = extents.filter { $0.length > 0 }.sorted { $0.offset < $1.offset }
        for i in sorted.indices {
            let sector = UInt64(Size.sector)
            precondition(sorted[i].offset % sector == 0, "extents start on sector boundaries")
            let pad = (sector - sorted[i].length % sector) % sector
            if pad > 0 { sorted[i].pieces.append(.zeros(Int(pad))) }
        }
        var merged: [Extent] = []
        for extent in sorted {
            if let last = merged.last, last.end == extent.offset {
                merged[merged.count - 1].pieces += extent.pieces
            } else {
                precondition(merged.last.map { $0.end <= extent.offset } ?? true, "extents overlap")
                merged.append(extent)
            }
        }
        precondition(merged.last.map { $0.end <= size } ?? true, "extents fit in the disk")
        self.size = size
        self.extents = merged
    }

    /// Bytes of data (not holes).
    public var dataSize: UInt64 { extents.reduce(0) { $0 + $1.length } }
}
