import Crypto
import Foundation

/// SHA-256 of a file, read in 1 MiB pieces, as lowercase hex.
public enum FileDigest {
    public struct ReadError: UserFacingError, Equatable {
        public var path: String
        public var message: String { "cannot read \(path)" }
        public var hint: String? { "check that it exists and is readable" }
    }

    public static func sha256(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ReadError(path: path) }
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(data: chunk) }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
