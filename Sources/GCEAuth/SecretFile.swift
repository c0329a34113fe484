import Foundation

/// Reading a file that holds a secret (a service-account key, the local plane's token): clear
/// errors that name the file and never its content, and a warning when others may read it.
enum SecretFile {
    /// The file's bytes and, if its mode lets its group or others read it, a warning.
    static func read(_ path: String, role: String) throws -> (bytes: [UInt8], warning: AuthWarning?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AuthError("the \(role) \(path) does not exist")
        }
        guard !isDirectory.boolValue else { throw AuthError("the \(role) \(path) is a directory, not a file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuthError("cannot read the \(role) \(path)", hint: "check its permissions")
        }
        var status = stat()
        let mode = stat(path, &status) == 0 ? UInt32(status.st_mode) : 0o600
        return ([UInt8](data), permissionWarning(path: path, mode: mode, role: role))
    }

    /// A warning when `mode` lets the file's group or others read it.
    static func permissionWarning(path: String, mode: UInt32, role: String) -> AuthWarning? {
        let readers = [(UInt32(0o004), "anyone on this machine"), (UInt32(0o040), "its group")].first { mode & $0.0 != 0 }
        guard let readers else { return nil }
        let octal = String(mode & 0o777, radix: 8)
        return AuthWarning("the \(role) \(path) can be read by \(readers.1) (mode \(octal)); run: chmod 600 \(path)")
    }
}
