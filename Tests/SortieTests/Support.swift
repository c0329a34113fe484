import Foundation
import Testing

/// Where things are, for tests that run the real `sortie` binary and the real tools.
enum Repo {
    static let root: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// The `sortie` built alongside the test bundle (or `SORTIE_BIN`).
    static let sortie: String = {
        if let bin = ProcessInfo.processInfo.environment["SORTIE_BIN"] { return bin }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sortie").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return root + "/.build/debug/sortie"
    }()

    /// Test guests built by `scripts/build-guests` (once per test run).
    static let guests: String = {
        let dir = root + "/.build/guests"
        let result = run("/bin/bash", [root + "/scripts/build-guests", dir])
        precondition(result.status == 0, "scripts/build-guests failed:\n\(result.stdout)\n\(result.stderr)")
        return dir
    }()

    static var multibootKernel: String { guests + "/multiboot/kernel.elf" }
}

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program to completion with extra environment variables, no shell.
@discardableResult
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil) -> RunResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let outFile = TemporaryDirectory.shared.path + "/out-\(UUID().uuidString)"
    let errFile = outFile + ".err"
    _ = FileManager.default.createFile(atPath: outFile, contents: nil)
    _ = FileManager.default.createFile(atPath: errFile, contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: outFile)
    process.standardError = FileHandle(forWritingAtPath: errFile)
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { return RunResult(status: -1, stdout: "", stderr: "\(error)") }
    process.waitUntilExit()
    defer { unlink(outFile); unlink(errFile) }
    return RunResult(status: process.terminationStatus,
                     stdout: (try? String(contentsOfFile: outFile, encoding: .utf8)) ?? "",
                     stderr: (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? "")
}

/// Runs `sortie` with a private cache directory.
@discardableResult
func sortie(_ arguments: String..., environment: [String: String] = [:], directory: String? = nil) -> RunResult {
    sortie(arguments, environment: environment, directory: directory)
}

@discardableResult
func sortie(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) -> RunResult {
    var env = ["SORTIE_CACHE_DIR": TemporaryDirectory.shared.path + "/cache"]
    env.merge(environment) { $1 }
    return run(Repo.sortie, arguments, environment: env, directory: directory)
}

/// A scratch directory removed when the test process ends... or left for inspection under /tmp.
final class TemporaryDirectory: Sendable {
    let path: String
    static let shared = TemporaryDirectory()

    init() {
        path = NSTemporaryDirectory() + "sortie-tests-\(getpid())-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A new empty subdirectory.
    func make(_ name: String = UUID().uuidString) -> String {
        let dir = path + "/" + name
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

func fileBytes(_ path: String) -> [UInt8] {
    (try? Data(contentsOf: URL(fileURLWithPath: path))).map { [UInt8]($0) } ?? []
}

func fileExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

/// The QEMU processes whose command line mentions `needle`.
func qemuProcesses(mentioning needle: String) -> [String] {
    let result = run("/usr/bin/pgrep", ["-a", "-f", "qemu-system.*\(needle)"])
    return result.stdout.split(separator: "\n").map(String.init).filter { !$0.contains("pgrep") }
}
