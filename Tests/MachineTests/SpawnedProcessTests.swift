import Foundation
import Testing
@testable import Machine

@Suite struct SpawnedProcessTests {
    /// A VM must not hold the write end of a pipe that another thread reads to its end: a pipe
    /// opened without close-on-exec (as Foundation's `Pipe` does) is not inherited by the child.
    @Test func childInheritsNoDescriptorBeyondItsStandardThree() throws {
        var leaked: [Int32] = [0, 0]
        #expect(pipe(&leaked) == 0)  // no O_CLOEXEC, as Foundation's Pipe
        defer { close(leaked[0]); close(leaked[1]) }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("spawn-fds-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { close(out); unlink(output) }
        let process = try SpawnedProcess(executable: "/bin/sh", arguments: ["-c", "ls /proc/$$/fd"], stdout: out, stderr: out)
        #expect(process.wait(timeout: 30) == 0)
        let listed = try String(contentsOfFile: output, encoding: .utf8).split(whereSeparator: \.isNewline).compactMap { Int32($0) }
        #expect(!listed.contains(leaked[1]), "the child holds the pipe's write end: \(listed)")
        #expect(listed.sorted() == [0, 1, 2], "descriptors open in the child: \(listed)")
    }
}
