/// Where formatted bytes go: a file, a compressor, a buffer in a test.
public protocol ByteSink: AnyObject {
    /// Appends `bytes`; throws if they cannot be stored.
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Appends an extent piece (a requirement so a compressor can treat shared blocks specially).
    func write(_ piece: ExtentPiece) throws
}

extension ByteSink {
    /// Appends a byte array.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends an extent piece, producing runs of zeros in bounded chunks.
    public func write(_ piece: ExtentPiece) throws { try writeBytes(of: piece) }

    /// The plain bytes of `piece` through `write(_: UnsafeRawBufferPointer)`; sinks that treat
    /// some pieces specially call this for the rest.
    public func writeBytes(of piece: ExtentPiece) throws {
        switch piece {
        case .bytes(let slice):
            try slice.withUnsafeBytes { try write($0) }
        case .shared(let block):
            try block.bytes.withUnsafeBytes { try write($0) }
        case .zeros(var n):
            let block = [UInt8](repeating: 0, count: min(n, 64 * 1024))
            while n > 0 {
                let k = min(n, block.count)
                try block.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<k])) }
                n -= k
            }
        }
    }
}

/// Collects everything in memory; for tests and small outputs.
public final class MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes.append(contentsOf: bytes) }
}
