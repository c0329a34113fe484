import Foundation
import ImageBuilder
import SortieSupport
import Synchronization

/// One running QEMU process: started with a `QEMUCommand`, its serial console read from stdout,
/// its QMP events and its exit delivered as `BootMonitor.Event`s. It is killed when stopped or
/// when this process dies, however it dies (see `SpawnedProcess`).
public final class GuestProcess: @unchecked Sendable {
    private let errorBuffer = LockedBuffer()
    public let command: QEMUCommand
    private var process: SpawnedProcess?
    private var qmp: QMPClient?
    public var pid: Int32 { process?.pid ?? 0 }

    public init(command: QEMUCommand) {
        self.command = command
    }

    /// Starts QEMU and delivers everything it reports to `events`.
    public func start(events: AsyncStream<BootMonitor.Event>.Continuation) throws {
        guard let qemu = ExecutableSearch.find(command.executable) else {
            throw MachineError("\(command.executable) is not installed", hint: "install QEMU with `apt-get install qemu-system-x86`")
        }
        let outPipe = try Self.pipe(), errPipe = try Self.pipe()
        let errors = errorBuffer
        let exitGroup = DispatchGroup()
        exitGroup.enter()
        exitGroup.enter()
        let statusBox = LockedBuffer()
        do {
            process = try SpawnedProcess(executable: qemu, arguments: command.arguments, stdout: outPipe[1], stderr: errPipe[1],
                                         dieWithParent: true) { status in
                statusBox.append(Array(String(status).utf8))
                exitGroup.leave()
            }
        } catch {
            for fd in outPipe + errPipe { close(fd) }
            throw error
        }
        close(outPipe[1])
        close(errPipe[1])
        let outFD = outPipe[0], errFD = errPipe[0]
        Thread.detachNewThread {
            var chunk = [UInt8](repeating: 0, count: 16384)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(outFD, $0.baseAddress!, $0.count) }
                if n <= 0 { break }
                events.yield(.console(Array(chunk[0..<n])))
            }
            close(outFD)
            events.yield(.consoleClosed)
        }
        Thread.detachNewThread {
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(errFD, $0.baseAddress!, $0.count) }
                if n <= 0 { break }
                errors.append(Array(chunk[0..<n]))
            }
            close(errFD)
            exitGroup.leave()
        }
        exitGroup.notify(queue: .global()) {
            events.yield(.exited(status: Int32(statusBox.text) ?? -1, errorOutput: errors.text))
        }
        if let socket = command.qmpSocket {
            do {
                let client = try QMPClient(path: socket, within: 5)
                client.readEvents { name, data in
                    if name == "SHUTDOWN" { events.yield(.shutdown(reason: data["reason"] as? String ?? "unknown")) }
                }
                qmp = client
            } catch {
                // QEMU may have failed at start-up; its exit and stderr tell the story.
            }
        }
    }

    /// A pipe whose ends are closed on exec (the child gets copies through dup2).
    static func pipe() throws -> [Int32] {
        var fds: [Int32] = [0, 0]
        guard Glibc.pipe(&fds) == 0 else {
            throw MachineError("cannot create a pipe for QEMU: \(String(cString: strerror(errno)))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fds
    }

    /// Stops QEMU: SIGTERM, then SIGKILL after `grace` seconds. Returns when it has exited.
    public func stop(grace: Double = 2) {
        process?.stop(grace: grace)
    }
}

/// Output a reader thread appends while others read it.
final class LockedBuffer: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    func append(_ more: [UInt8]) { bytes.withLock { $0 += more } }
    var text: String { bytes.withLock { String(decoding: $0, as: UTF8.self) } }
}
