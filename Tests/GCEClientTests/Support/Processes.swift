import Foundation
import GCEClient
import Testing

/// Paths of the repository and of what the build made.
enum Repo {
    static let root: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// The `sortie` built with the tests (or `SORTIE_BIN`).
    static let sortie: String = {
        if let bin = ProcessInfo.processInfo.environment["SORTIE_BIN"] { return bin }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sortie").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return root + "/.build/debug/sortie"
    }()

    /// The test multiboot kernel, built by `scripts/build-guests` if missing.
    static let multibootKernel: String = {
        let dir = root + "/.build/guests"
        let kernel = dir + "/multiboot/kernel.elf"
        if !FileManager.default.fileExists(atPath: kernel) {
            let result = runProgram("/bin/bash", [root + "/scripts/build-guests", dir])
            precondition(result.status == 0, "scripts/build-guests failed:\n\(result.output)")
        }
        return kernel
    }()
}

/// A fresh directory under the system's temporary directory.
func makeTemporaryDirectory(_ prefix: String) -> String {
    let path = NSTemporaryDirectory() + "gceclient-\(prefix)-\(getpid())-\(UUID().uuidString.prefix(8))"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs a program to completion (no shell); output is stdout and stderr together.
@discardableResult
func runProgram(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let log = makeTemporaryDirectory("run") + "/output"
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let handle = FileHandle(forWritingAtPath: log)!
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { return (-1, "\(error)") }
    process.waitUntilExit()
    try? handle.close()
    return (process.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
}

/// A server process started by a test, ended by `stop()`.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let logPath: String

    init(executable: String, arguments: [String], logPath: String, environment: [String: String] = [:]) throws {
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until `predicate` holds for the log, or fails with the log.
    func waitForLog(timeout: Duration = .seconds(60), _ predicate: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = log
            if predicate(text) { return text }
            guard process.isRunning else { throw StartFailure(log: text, why: "exited with \(process.terminationStatus)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw StartFailure(log: log, why: "not ready within \(timeout)")
    }

    /// SIGTERM, then SIGKILL after `grace`.
    func stop(grace: Duration = .seconds(15)) async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    struct StartFailure: Error, CustomStringConvertible {
        var log: String
        var why: String
        var description: String { "server \(why):\n\(log.suffix(4000))" }
    }
}

/// `sortie serve` on a free loopback port with its own data directory.
struct LocalPlane: Sendable {
    let server: ServerProcess
    let address: String
    let token: String
    let dataDirectory: String
    static let project = "gce-client-test"

    static func start() async throws -> LocalPlane {
        let root = makeTemporaryDirectory("plane")
        let data = root + "/data"
        let server = try ServerProcess(
            executable: Repo.sortie,
            arguments: ["serve", "--listen", "127.0.0.1:0", "--data", data, "--accel", "tcg", "--max-instances", "2", "--shutdown-grace", "2"],
            logPath: root + "/serve.log", environment: ["SORTIE_CACHE_DIR": root + "/cache"])
        let log = try await server.waitForLog { $0.contains("listening on http://") }
        let start = log.range(of: "listening on http://")!.lowerBound
        let address = String(log[start...].dropFirst("listening on ".count).prefix { $0 != " " && $0 != "\n" })
        let token = try String(contentsOfFile: data + "/token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return LocalPlane(server: server, address: address, token: token, dataDirectory: data)
    }

    var target: GCETarget { .local(address: address, project: Self.project) }

    func client(transport: any HTTPTransport, address: String? = nil, retry: RetryPolicy = .standard, clock: ClientClock = .system) -> GCEClient {
        GCEClient(target: .local(address: address ?? self.address, project: Self.project), tokens: StaticToken(token),
                  transport: transport, retry: retry, clock: clock)
    }

    func stop() async { await server.stop() }
}

/// Runs `body` with a started plane and a real transport, then stops both.
func withPlane(_ body: (LocalPlane, AsyncHTTPClientTransport) async throws -> Void) async throws {
    let plane = try await LocalPlane.start()
    let transport = AsyncHTTPClientTransport()
    do {
        try await body(plane, transport)
    } catch {
        try? await transport.shutdown()
        await plane.stop()
        throw error
    }
    try await transport.shutdown()
    await plane.stop()
}

/// A retry policy with short waits, so fault-injection tests take milliseconds.
let quickRetry = RetryPolicy(maxAttempts: 6, initialDelay: .milliseconds(20), multiplier: 2, maxDelay: .milliseconds(200))

/// A file of `size` deterministic pseudo-random bytes.
func makeFile(_ path: String, size: Int, seed: UInt64 = 42) -> String {
    var state = seed
    var bytes = [UInt8](repeating: 0, count: size)
    for i in 0..<size {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
    }
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}
