import Foundation

/// Finds a program the way a shell would: the first executable `name` in `PATH`.
public enum ExecutableSearch {
    /// The path of the first executable `name` in `environment["PATH"]` (default `/usr/bin:/bin`), or nil.
    public static func find(_ name: String, environment: [String: String]) -> String? {
        (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(name)" }
            .first(where: FileManager.default.isExecutableFile(atPath:))
    }
}
