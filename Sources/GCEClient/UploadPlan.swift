import Foundation

/// The arithmetic of a resumable upload, pure: chunk boundaries, `Content-Range` headers, and
/// reading the server's `Range` answer. Every chunk but the last is a multiple of 256 KiB.
public struct UploadPlan: Sendable, Equatable {
    /// Cloud Storage's chunk granularity: 256 KiB.
    public static let granularity: Int64 = 262_144

    /// The object's size in bytes.
    public let total: Int64
    /// Bytes per chunk, a positive multiple of `granularity`.
    public let chunkSize: Int64

    public init(total: Int64, chunkSize: Int64) throws {
        guard total >= 0 else { throw GCEClientError.invalidArgument("an upload's size cannot be negative (\(total))") }
        guard chunkSize > 0, chunkSize % Self.granularity == 0 else {
            throw GCEClientError.invalidArgument("the upload chunk size must be a positive multiple of 256 KiB (262144 bytes), not \(chunkSize)")
        }
        self.total = total
        self.chunkSize = chunkSize
    }

    /// The bytes to send next when the server has `offset` bytes: up to `chunkSize` of them, nil
    /// when nothing is left. An empty object is one empty final chunk at 0.
    public func chunk(at offset: Int64) -> Range<Int64>? {
        if total == 0 { return offset == 0 ? 0..<0 : nil }
        guard offset >= 0, offset < total else { return nil }
        return offset..<min(offset + chunkSize, total)
    }

    /// `bytes FIRST-LAST/TOTAL` for a chunk; `bytes */0` for the empty object.
    public func contentRange(_ chunk: Range<Int64>) -> String {
        chunk.isEmpty ? "bytes */\(total)" : "bytes \(chunk.lowerBound)-\(chunk.upperBound - 1)/\(total)"
    }

    /// The status query's `Content-Range`: `bytes */TOTAL`.
    public var statusQuery: String { "bytes */\(total)" }

    /// How many bytes the server has, from a 308 answer's `Range: bytes=0-LAST`. No header means
    /// none. `bytes=0-0` is read as none too: this client never leaves a 1-byte prefix (every
    /// non-final chunk is a multiple of 256 KiB), and gcp-storage-emulator answers a fresh
    /// session's status query with it.
    public static func persistedBytes(range: String?) -> Int64? {
        guard let range = range?.trimmingCharacters(in: .whitespaces), !range.isEmpty else { return 0 }
        guard range.hasPrefix("bytes=") else { return nil }
        let parts = range.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "0", let last = Int64(parts[1]), last >= 0 else { return nil }
        return last == 0 ? 0 : last + 1
    }
}
