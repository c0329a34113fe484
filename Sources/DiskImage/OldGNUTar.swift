/// GNU tar's `oldgnu` format with a sparse member, as `tar --format=oldgnu -S` writes it and GCE imports it.
///
/// Layout of the member: a header block (typeflag `S`, the first 4 sparse entries at offset 386,
/// `isextended` at 482, the real size at 483), extension blocks of 21 entries each while more
/// follow, then the data of each extent back to back, padded to 512 bytes. The archive ends with
/// two zero blocks and is padded to GNU tar's 10 KiB record.
public enum OldGNUTar {
    public static let block = 512
    public static let record = 10_240

    /// One entry of the sparse map: `length` bytes of data at `offset` of the member.
    public struct SparseEntry: Equatable, Sendable {
        public var offset: UInt64
        public var length: UInt64

        public init(offset: UInt64, length: UInt64) {
            self.offset = offset
            self.length = length
        }
    }

    /// The sparse map of `layout`, ending like GNU tar's with a zero-length entry at the end of the file.
    public static func sparseMap(of layout: DiskLayout) -> [SparseEntry] {
        var map = layout.extents.map { SparseEntry(offset: $0.offset, length: $0.length) }
        if map.last.map({ $0.offset + $0.length < layout.size }) ?? true {
            map.append(SparseEntry(offset: layout.size, length: 0))
        }
        return map
    }

    /// Header and extension blocks for a sparse member named `name`.
    public static func headers(name: String, layout: DiskLayout, mtime: Int64) -> [UInt8] {
        let map = sparseMap(of: layout)
        var header = [UInt8](repeating: 0, count: block)
        header.putASCII(name, at: 0, width: 100, pad: 0)
        putNumber(0o644, into: &header, at: 100, width: 8)
        putNumber(0, into: &header, at: 108, width: 8)
        putNumber(0, into: &header, at: 116, width: 8)
        putNumber(layout.dataSize, into: &header, at: 124, width: 12)
        putNumber(UInt64(max(0, mtime)), into: &header, at: 136, width: 12)
        header[156] = UInt8(ascii: "S")
        header.putASCII("ustar  ", at: 257, width: 8, pad: 0)
        header.putASCII("root", at: 265, width: 32, pad: 0)
        header.putASCII("root", at: 297, width: 32, pad: 0)
        for (i, entry) in map.prefix(4).enumerated() {
            putNumber(entry.offset, into: &header, at: 386 + 24 * i, width: 12)
            putNumber(entry.length, into: &header, at: 398 + 24 * i, width: 12)
        }
        header[482] = map.count > 4 ? 1 : 0
        putNumber(layout.size, into: &header, at: 483, width: 12)
        setChecksum(&header)
        var out = header
        var rest = Array(map.dropFirst(4))
        while !rest.isEmpty {
            var ext = [UInt8](repeating: 0, count: block)
            for (i, entry) in rest.prefix(21).enumerated() {
                putNumber(entry.offset, into: &ext, at: 24 * i, width: 12)
                putNumber(entry.length, into: &ext, at: 24 * i + 12, width: 12)
            }
            rest = Array(rest.dropFirst(21))
            ext[504] = rest.isEmpty ? 0 : 1
            out += ext
        }
        return out
    }

    /// Writes the whole archive (one sparse member named `name`) to `sink`.
    public static func write(layout: DiskLayout, name: String, mtime: Int64, to sink: ByteSink) throws {
        let head = headers(name: name, layout: layout, mtime: mtime)
        try sink.write(head)
        for extent in layout.extents {
            for piece in extent.pieces { try sink.write(piece) }
        }
        let data = Int(layout.dataSize % UInt64(block))
        let padding = data == 0 ? 0 : block - data
        let written = UInt64(head.count) + layout.dataSize + UInt64(padding) + UInt64(2 * block)
        let recordPad = Int((UInt64(record) - written % UInt64(record)) % UInt64(record))
        try sink.write(.zeros(padding + 2 * block + recordPad))
    }

    /// Octal with a trailing NUL when it fits, otherwise GNU's base-256 (high bit set, big-endian).
    static func putNumber(_ value: UInt64, into header: inout [UInt8], at offset: Int, width: Int) {
        let octal = String(value, radix: 8)
        if octal.count <= width - 1 {
            let padded = String(repeating: "0", count: width - 1 - octal.count) + octal
            header.putASCII(padded, at: offset, width: width - 1, pad: 0)
            header[offset + width - 1] = 0
        } else {
            header[offset] = 0x80
            for i in 1..<width {
                let shift = UInt64(8 * (width - 1 - i))
                header[offset + i] = shift >= 64 ? 0 : UInt8(truncatingIfNeeded: value >> shift)
            }
        }
    }

    /// The header checksum: the sum of all bytes with the checksum field read as spaces,
    /// stored as six octal digits, NUL, space.
    static func setChecksum(_ header: inout [UInt8]) {
        for i in 148..<156 { header[i] = 0x20 }
        let sum = header.reduce(0) { $0 + UInt32($1) }
        let octal = String(sum, radix: 8)
        header.putASCII(String(repeating: "0", count: max(0, 6 - octal.count)) + octal, at: 148, width: 6, pad: 0)
        header[154] = 0
        header[155] = 0x20
    }
}
