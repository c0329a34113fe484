import SortieSupport

/// Reads tar archives member by member, including GNU sparse members, to check and unpack images.
public final class TarReader {
    /// The header dialect a member was written in.
    public enum Dialect: String, Sendable {
        case oldgnu = "GNU oldgnu"
        case ustar = "POSIX ustar"
        case v7 = "v7"
    }

    public struct Member: Sendable {
        public var name: String
        public var typeflag: Character
        public var dialect: Dialect
        /// Bytes stored in the archive for this member.
        public var storedSize: UInt64
        /// The file's size once unpacked (differs from `storedSize` for sparse members).
        public var realSize: UInt64
        /// The data extents of a sparse member; nil for an ordinary one.
        public var sparseMap: [OldGNUTar.SparseEntry]?

        /// PAX extended headers, which GCE's importer does not accept.
        public var isPAXHeader: Bool { typeflag == "x" || typeflag == "g" }
    }

    public struct Malformed: UserFacingError {
        public let message: String
        public var hint: String? { "the archive is damaged or not a tar archive; rebuild it with `sortie image build`" }
    }

    private let source: ByteSource
    private var unread: UInt64 = 0

    public init(_ source: ByteSource) { self.source = source }

    /// The next member's header, or nil at the end of the archive. Skips unread data of the previous one.
    public func next() throws -> Member? {
        if unread > 0 { try skipData() }
        guard let header = try source.read(exactly: OldGNUTar.block) else {
            throw Malformed(message: "the tar archive ends in the middle of a header")
        }
        if header.allSatisfy({ $0 == 0 }) { return nil }
        guard verifyChecksum(header) else { throw Malformed(message: "a tar header has a bad checksum") }
        let name = String(decoding: header[0..<100].prefix { $0 != 0 }, as: UTF8.self)
        let typeflag = Character(UnicodeScalar(header[156] == 0 ? UInt8(ascii: "0") : header[156]))
        let dialect: Dialect = header.matches(Array("ustar  \0".utf8), at: 257) ? .oldgnu
            : header.matches(Array("ustar".utf8), at: 257) ? .ustar : .v7
        let stored = try number(header, 124, 12)
        var member = Member(name: name, typeflag: typeflag, dialect: dialect, storedSize: stored, realSize: stored, sparseMap: nil)
        if typeflag == "S" {
            var map: [OldGNUTar.SparseEntry] = []
            for i in 0..<4 { try appendEntry(header, 386 + 24 * i, to: &map) }
            var extended = header[482] != 0
            while extended {
                guard let ext = try source.read(exactly: OldGNUTar.block) else {
                    throw Malformed(message: "the tar archive ends inside a sparse map")
                }
                for i in 0..<21 { try appendEntry(ext, 24 * i, to: &map) }
                extended = ext[504] != 0
            }
            member.sparseMap = map
            member.realSize = try number(header, 483, 12)
            let sum = map.reduce(UInt64(0)) { $0 + $1.length }
            guard sum == stored else {
                throw Malformed(message: "the sparse map of \(name) covers \(sum) bytes but the member stores \(stored)")
            }
        }
        unread = stored
        return member
    }

    /// The stored data of the current member (for sparse members: the extents back to back).
    public func readData() throws -> [UInt8] {
        guard let data = try source.read(exactly: Int(unread)) else {
            throw Malformed(message: "the tar archive ends in the middle of a member's data")
        }
        unread = 0
        try skipPadding(Int(UInt64(data.count) % UInt64(OldGNUTar.block)))
        return data
    }

    /// Reads the current member's data piece by piece into `body` (at most `chunk` bytes at a time).
    public func streamData(chunk: Int = 1 << 20, _ body: ([UInt8]) throws -> Void) throws {
        let total = unread
        while unread > 0 {
            guard let data = try source.read(exactly: Int(min(unread, UInt64(chunk)))) else {
                throw Malformed(message: "the tar archive ends in the middle of a member's data")
            }
            unread -= UInt64(data.count)
            try body(data)
        }
        try skipPadding(Int(total % UInt64(OldGNUTar.block)))
    }

    private func skipData() throws {
        let total = unread
        guard try source.skip(unread) else { throw Malformed(message: "the tar archive ends in the middle of a member's data") }
        unread = 0
        try skipPadding(Int(total % UInt64(OldGNUTar.block)))
    }

    private func skipPadding(_ remainder: Int) throws {
        guard remainder != 0 else { return }
        guard try source.skip(UInt64(OldGNUTar.block - remainder)) else {
            throw Malformed(message: "the tar archive ends in the middle of a member's padding")
        }
    }

    private func appendEntry(_ block: [UInt8], _ offset: Int, to map: inout [OldGNUTar.SparseEntry]) throws {
        guard block[offset] != 0 else { return }
        map.append(OldGNUTar.SparseEntry(offset: try number(block, offset, 12), length: try number(block, offset + 12, 12)))
    }

    private func verifyChecksum(_ header: [UInt8]) -> Bool {
        guard let stored = try? number(header, 148, 8) else { return false }
        var sum: UInt64 = 0
        for (i, b) in header.enumerated() { sum += (148..<156).contains(i) ? 0x20 : UInt64(b) }
        return sum == stored
    }

    private func number(_ block: [UInt8], _ offset: Int, _ width: Int) throws -> UInt64 {
        if block[offset] & 0x80 != 0 {
            var v: UInt64 = 0
            for i in 1..<width { v = v << 8 | UInt64(block[offset + i]) }
            return v
        }
        var v: UInt64 = 0
        for b in block[offset..<offset + width] {
            if b == 0 || b == 0x20 { if v > 0 { break } else { continue } }
            guard (0x30...0x37).contains(b) else { throw Malformed(message: "a tar header holds a malformed number") }
            v = v * 8 + UInt64(b - 0x30)
        }
        return v
    }
}
