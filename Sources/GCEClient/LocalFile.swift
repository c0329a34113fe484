import Foundation
import StorageChecksums

/// A local file to upload: its size and Cloud Storage checksums, and reading a byte range.
public struct LocalFile: Sendable, Equatable {
    public let path: String
    public let size: Int64
    /// base64 MD5, as Cloud Storage's `md5Hash`.
    public let md5Base64: String
    /// base64 big-endian CRC32C, as Cloud Storage's `crc32c`.
    public let crc32cBase64: String

    /// Reads the whole file once to checksum it.
    public init(path: String) throws {
        let sums: ObjectChecksums
        do {
            sums = try ObjectChecksums.of(fileAt: path)
        } catch {
            throw GCEClientError.unreadableFile(path: path, detail: "\(error)")
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw GCEClientError.unreadableFile(path: path, detail: "cannot stat it") }
        self.path = path
        size = Int64(info.st_size)
        md5Base64 = sums.md5Base64
        crc32cBase64 = sums.crc32cBase64
    }

    /// The bytes of `range`.
    public func read(_ range: Range<Int64>) throws -> Data {
        guard !range.isEmpty else { return Data() }
        do {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw GCEClientError.unreadableFile(path: path, detail: "cannot open it") }
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(range.lowerBound))
            let data = try handle.read(upToCount: Int(range.count)) ?? Data()
            guard data.count == range.count else {
                throw GCEClientError.unreadableFile(path: path, detail: "it changed during the upload (ended at \(range.lowerBound + Int64(data.count)))")
            }
            return data
        } catch let error as GCEClientError {
            throw error
        } catch {
            throw GCEClientError.unreadableFile(path: path, detail: "\(error)")
        }
    }
}
