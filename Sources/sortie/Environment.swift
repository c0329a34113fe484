import Foundation
import ImageBuilder

/// Everything the commands read from the environment, in one place.
enum SortieEnvironment {
    static var variables: [String: String] { ProcessInfo.processInfo.environment }

    /// `$XDG_CACHE_HOME/sortie`, or `~/.cache/sortie`.
    static var cacheDirectory: String {
        if let dir = variables["SORTIE_CACHE_DIR"], !dir.isEmpty { return dir }
        if let xdg = variables["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/sortie" }
        return (variables["HOME"] ?? NSTemporaryDirectory()) + "/.cache/sortie"
    }

    /// `sortie serve`'s data directory (where deploy finds its token): `SORTIE_SERVE_DATA`, else
    /// `$XDG_DATA_HOME/sortie/serve`, or `~/.local/share/sortie/serve`.
    static var localPlaneDataDirectory: String {
        if let dir = variables["SORTIE_SERVE_DATA"], !dir.isEmpty { return dir }
        if let xdg = variables["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/sortie/serve" }
        return (variables["HOME"] ?? "/tmp") + "/.local/share/sortie/serve"
    }

    /// GRUB's BIOS files: `SORTIE_GRUB_DIR` or Debian's location.
    static var grub: GrubFiles.Location {
        GrubFiles.Location(moduleDirectory: variables["SORTIE_GRUB_DIR"] ?? "/usr/lib/grub/i386-pc",
                           cacheDirectory: cacheDirectory)
    }

    /// `SOURCE_DATE_EPOCH` when set (reproducible builds), otherwise Sortie's fixed default.
    static func timestamp() throws -> Int64 {
        guard let text = variables["SOURCE_DATE_EPOCH"], !text.isEmpty else { return ImageBuildRequest.defaultTimestamp }
        guard let value = Int64(text), value >= 0 else {
            throw FileError("SOURCE_DATE_EPOCH is \"\(text)\", not a number of seconds since 1970",
                            hint: "set it to e.g. $(git log -1 --format=%ct), or unset it")
        }
        return value
    }
}
