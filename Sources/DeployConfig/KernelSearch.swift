/// Where `sortie init` looks for a kernel when none is named: the files of a project directory
/// that look most like a build's kernel, best first. Pure: the caller lists the files and then
/// checks candidates with `KernelDetector`.
public enum KernelSearch {
    /// The candidates among `paths` (relative to the project directory, `/`-separated), best first:
    /// Solo5 virtio and Unikraft kvm/qemu builds, then Linux kernels, then anything in `dist/`,
    /// then Solo5 hvt builds (kept so their detection error can say what to change), then `_build/`.
    public static func candidates(in paths: [String]) -> [String] {
        paths.compactMap { path in rank(path).map { (path, $0) } }
            .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map(\.0)
    }

    static func rank(_ path: String) -> Int? {
        let components = path.split(separator: "/")
        guard let name = components.last.map(String.init), !name.hasPrefix(".") else { return nil }
        let inBuildTree = components.first == "_build"
        if name.hasSuffix(".virtio") || name.hasSuffix("_qemu-x86_64") || name.hasSuffix("_kvm-x86_64") {
            return inBuildTree ? 4 : 0
        }
        if name == "bzImage" || name.hasPrefix("vmlinuz") { return inBuildTree ? 4 : 1 }
        if name.hasSuffix(".hvt") { return inBuildTree ? 5 : 3 }
        if components.count == 2, components.first == "dist" { return 2 }
        return nil
    }
}
