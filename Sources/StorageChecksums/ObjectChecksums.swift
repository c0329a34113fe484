import Crypto
import Foundation

/// The checksums Cloud Storage reports: MD5 and CRC32C (Castagnoli), both base64 of the raw
/// big-endian digest.
public struct ObjectChecksums: Sendable {
    private var md5 = Insecure.MD5()
    private var crc: UInt32 = 0xFFFF_FFFF

    public init() {}

    /// Adds the next bytes.
    public mutating func update(_ data: Data) {
        md5.update(data: data)
        crc = data.withUnsafeBytes { Self.crc32c(crc, $0) }
    }

    /// MD5 of the bytes so far, base64 (Cloud Storage's `md5Hash`).
    public var md5Base64: String { Data(md5.finalize()).base64EncodedString() }

    /// CRC32C of the bytes so far, base64 of its big-endian bytes (Cloud Storage's `crc32c`).
    public var crc32cBase64: String {
        let value = crc ^ 0xFFFF_FFFF
        return Data([UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]).base64EncodedString()
    }

    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32c(_ start: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = start
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        return c
    }

    /// Checksums of a whole file, read in 1 MiB pieces.
    public static func of(fileAt path: String) throws -> ObjectChecksums {
        var sums = ObjectChecksums()
        guard let handle = FileHandle(forReadingAtPath: path) else { throw UnreadableFile(path: path) }
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { sums.update(chunk) }
        return sums
    }

    /// A file that could not be opened for reading.
    public struct UnreadableFile: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "cannot open \(path) for reading" }
    }
}
