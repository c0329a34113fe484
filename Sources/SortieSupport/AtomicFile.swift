import Foundation

/// Writes a file whole or not at all: the bytes go to a temporary file beside it, which is then
/// renamed over the target (rename is atomic within a file system), so a reader never sees half a
/// file and a failure leaves the old one in place.
public enum AtomicFile {
    /// Why a write failed: the path and the system's reason.
    public struct WriteError: UserFacingError, Equatable {
        public var path: String
        public var reason: String
        public var message: String { "cannot write \(path): \(reason)" }
        public var hint: String? { "check that its directory exists and is writable, and that the disk is not full" }
    }

    /// Writes `data` to `path` through `path.tmp-PID`; `permissions` (such as 0o600 for a secret)
    /// are set before the rename, so the file never exists with looser ones.
    public static func write(_ data: Data, to path: String, permissions: Int? = nil) throws(WriteError) {
        let temporary = "\(path).tmp-\(getpid())"
        var attributes: [FileAttributeKey: Any]?
        if let permissions { attributes = [.posixPermissions: permissions] }
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: attributes) else {
            throw WriteError(path: path, reason: String(cString: strerror(errno)))
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WriteError(path: path, reason: reason)
        }
    }

    /// Writes `text` as UTF-8 (see ``write(_:to:permissions:)``).
    public static func write(_ text: String, to path: String, permissions: Int? = nil) throws(WriteError) {
        try write(Data(text.utf8), to: path, permissions: permissions)
    }
}
