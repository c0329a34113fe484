import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A `${VAR}` that is not set stops only the commands that use its key: the operating commands
/// read the target's keys, so the build's variables are not needed for them.
@Suite struct MissingVariableTests {
    /// A free loopback port (bound to 0, read back, released).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func operatingCommandsWorkWithoutTheBuildsVariables() throws {
        let dir = TemporaryDirectory.shared.make()
        let port = Self.freePort()
        let data = dir + "/plane"
        let plane = Process()
        plane.executableURL = URL(fileURLWithPath: Repo.sortie)
        plane.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--data", data]
        plane.standardOutput = FileHandle.nullDevice
        plane.standardError = FileHandle.nullDevice
        try plane.run()
        defer { plane.terminate(); plane.waitUntilExit() }
        let deadline = Date().addingTimeInterval(30)
        while !fileExists(data + "/token"), Date() < deadline { usleep(100_000) }
        try #require(fileExists(data + "/token"), "sortie serve did not start")

        let yaml = """
            app: hello
            build: { kernel: k.virtio, cmdline: "v=${V}" }
            service: { port: 8080 }
            targets:
              local: { endpoint: "http://127.0.0.1:\(port)" }
            """
        _ = FileManager.default.createFile(atPath: dir + "/sortie.yml", contents: Data(yaml.utf8))
        let environment = ["SORTIE_SERVE_DATA": data]
        let releases = sortie("releases", environment: environment, directory: dir)
        #expect(releases.status == 0, "\(releases.stderr)")
        #expect(releases.stdout.contains("No releases yet"))
        for command in [["status"], ["logs"], ["rollback"], ["gc", "--dry-run"]] {
            let result = sortie(command, environment: environment, directory: dir)
            #expect(!result.stderr.contains("V is not set"), "sortie \(command.joined(separator: " ")): \(result.stderr)")
        }
        let gc = sortie("gc", "--dry-run", environment: environment, directory: dir)
        #expect(gc.status == 0, "\(gc.stderr)")

        // deploy builds the image with build.cmdline: there V is needed, and the error names it.
        let deploy = sortie("deploy", "--plan", environment: environment, directory: dir)
        #expect(deploy.status == 1)
        #expect(deploy.stderr.contains("sortie.yml:2: build.cmdline: the environment variable V is not set"), "\(deploy.stderr)")

        // A variable in the target's own keys is needed by every command.
        let inTarget = yaml.replacingOccurrences(of: "\"http://127.0.0.1:\(port)\"", with: "\"${PLANE}\"")
        _ = FileManager.default.createFile(atPath: dir + "/sortie.yml", contents: Data(inTarget.utf8))
        let status = sortie("status", environment: environment, directory: dir)
        #expect(status.status == 1)
        #expect(status.stderr.contains("targets.local.endpoint: the environment variable PLANE is not set"), "\(status.stderr)")
    }
}
