import DeployConfig
import Foundation
import ImageBuilder
import SortieSupport

/// The files `sortie ci` reads and writes in a repository: where `sortie.yml` sits relative to
/// the root, the lock beside it, the generated pipelines under the root.
public struct CIRepository: Sendable {
    /// The repository's root (git's top level, else the directory of `sortie.yml`).
    public var root: String
    /// `sortie.yml`, absolute.
    public var configFile: String

    public init(configFile: String, runner: any CommandRunner = SystemCommandRunner()) {
        self.configFile = configFile
        let directory = (configFile as NSString).deletingLastPathComponent
        if let git = ExecutableSearch.find("git"),
           let result = try? runner.run(git, ["-C", directory, "rev-parse", "--show-toplevel"]), result.status == 0 {
            root = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            root = directory
        }
    }

    public var projectDirectory: String { (configFile as NSString).deletingLastPathComponent }
    public var lockFile: String { projectDirectory + "/" + CILock.fileName }

    /// `path` relative to the root.
    public func relative(_ path: String) -> String {
        let resolvedRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if resolved == resolvedRoot { return "." }
        if resolved.hasPrefix(resolvedRoot + "/") { return String(resolved.dropFirst(resolvedRoot.count + 1)) }
        return path
    }

    /// Reads `sortie.yml` (without the environment: values of `${NAME}` are not needed to write a
    /// pipeline, only which names the file's values reference) and the lock, and looks at the project.
    public func load() throws -> CIProject {
        guard let data = FileManager.default.contents(atPath: configFile), let yaml = String(data: data, encoding: .utf8) else {
            throw CIError("cannot read \(configFile)", hint: "run `sortie init` to write one, or give its path with -f")
        }
        let configuration = try DeployConfiguration.parse(yaml, file: relative(configFile), environment: [:],
                                                          allowingMissingVariables: true)
        var lock: CILock?
        if let lockData = FileManager.default.contents(atPath: lockFile) {
            do {
                lock = try JSONDecoder().decode(CILock.self, from: lockData)
            } catch {
                throw CIError("\(relative(lockFile)) is not a lock file Sortie can read: \(error)", hint: "run `sortie ci lock` to write it again")
            }
        }
        let isMirage = FileManager.default.fileExists(atPath: projectDirectory + "/config.ml")
            || (configuration.build.command?.value.contains("mirage") ?? false)
        return CIProject(configuration: configuration, configPath: relative(configFile), isMirage: isMirage, lock: lock)
    }

    /// Writes `contents` to `path` under the root, atomically.
    public func write(_ contents: String, to path: String) throws {
        let full = root + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            try AtomicFile.write(contents, to: full)
        } catch {
            throw CIError(error.message, hint: "check that the repository is writable")
        }
    }

    /// nil if the file at `path` (under the root) is `expected`, else what differs.
    public func staleness(of path: String, expected: String) -> String? {
        guard let data = FileManager.default.contents(atPath: root + "/" + path) else { return "\(path) does not exist" }
        let actual = String(decoding: data, as: UTF8.self)
        guard actual != expected else { return nil }
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false), e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(a.count, e.count) {
            let have = index < a.count ? String(a[index]) : "(end of file)"
            let want = index < e.count ? String(e[index]) : "(end of file)"
            if have != want { return "\(path):\(index + 1) is \(have.debugDescription), sortie ci would write \(want.debugDescription)" }
        }
        return "\(path) differs"
    }
}
