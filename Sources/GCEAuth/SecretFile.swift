import Foundation
import ImageBuilder

/// Reading a file that holds a secret (a service-account key, the local plane's token): clear
/// errors that name the file and never its content, and a warning when others may read it.
enum SecretFile {
    /// The file's bytes and, if its mode lets its group or others read it, a warning. `role`
    /// names the file in messages (`the service-account key file`).
    static func read(_ path: String, role: String) throws -> (bytes: [UInt8], warning: AuthWarning?) {
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readAll(path, role: role)
        } catch let error as FileError {
            throw AuthError(error.message, hint: error.hint)
        }
        var status = stat()
        let mode = stat(path, &status) == 0 ? UInt32(status.st_mode) : 0o600
        return (bytes, permissionWarning(path: path, mode: mode, role: role))
    }

    /// A warning when `mode` lets the file's group or others read it.
    static func permissionWarning(path: String, mode: UInt32, role: String) -> AuthWarning? {
        let readers = [(UInt32(0o004), "anyone on this machine"), (UInt32(0o040), "its group")].first { mode & $0.0 != 0 }
        guard let readers else { return nil }
        let octal = String(mode & 0o777, radix: 8)
        return AuthWarning("\(role) \(path) can be read by \(readers.1) (mode \(octal)); run: chmod 600 \(path)")
    }
}
