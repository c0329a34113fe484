import Foundation

/// Finds a program the way a shell would: a name with a slash as given, otherwise the first
/// executable of that name in the directories of `PATH`.
public enum ExecutableSearch {
    /// The directories searched when `PATH` is unset.
    public static let defaultPath = "/usr/local/bin:/usr/bin:/bin"

    /// The path of `name` on `path` (a `PATH` value; nil: ``defaultPath``), or nil.
    public static func find(_ name: String, path: String?) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        return (path ?? defaultPath).split(separator: ":").map { "\($0)/\(name)" }
            .first(where: FileManager.default.isExecutableFile(atPath:))
    }

    /// The path of `name` on this process's `PATH`, or nil.
    public static func find(_ name: String) -> String? {
        find(name, path: ProcessInfo.processInfo.environment["PATH"])
    }

    /// The path of `name` on `environment["PATH"]`, or nil.
    public static func find(_ name: String, environment: [String: String]) -> String? {
        find(name, path: environment["PATH"])
    }
}
