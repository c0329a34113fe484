import Foundation
import ImageBuilder

/// One running QEMU process: started with a `QEMUCommand`, its serial console read from stdout,
/// its QMP events and its exit delivered as `BootMonitor.Event`s. It is killed when stopped or
/// when this process dies (through `setpriv --pdeathsig`, where available).
public final class GuestProcess: @unchecked Sendable {
    private let process = Process()
    private let errorBuffer = LockedBuffer()
    public let command: QEMUCommand
    private var qmp: QMPClient?
    public var pid: Int32 { process.processIdentifier }

    public init(command: QEMUCommand) {
        self.command = command
    }

    /// Starts QEMU and delivers everything it reports to `events`.
    public func start(events: AsyncStream<BootMonitor.Event>.Continuation) throws {
        guard let qemu = ExecutableLookup.find(command.executable) else {
            throw MachineError("\(command.executable) is not installed", hint: "install QEMU with `apt-get install qemu-system-x86`")
        }
        if let setpriv = ExecutableLookup.find("setpriv") {
            process.executableURL = URL(fileURLWithPath: setpriv)
            process.arguments = ["--pdeathsig", "KILL", "--", qemu] + command.arguments
        } else {
            process.executableURL = URL(fileURLWithPath: qemu)
            process.arguments = command.arguments
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let errors = errorBuffer
        let exitGroup = DispatchGroup()
        exitGroup.enter()
        exitGroup.enter()
        process.terminationHandler = { _ in exitGroup.leave() }
        do { try process.run() } catch {
            throw MachineError("cannot start QEMU (\(qemu)): \(error.localizedDescription)")
        }
        let outFD = out.fileHandleForReading.fileDescriptor
        Thread.detachNewThread {
            var chunk = [UInt8](repeating: 0, count: 16384)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(outFD, $0.baseAddress!, $0.count) }
                if n <= 0 { break }
                events.yield(.console(Array(chunk[0..<n])))
            }
            events.yield(.consoleClosed)
        }
        let errFD = err.fileHandleForReading.fileDescriptor
        Thread.detachNewThread {
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(errFD, $0.baseAddress!, $0.count) }
                if n <= 0 { break }
                errors.append(Array(chunk[0..<n]))
            }
            exitGroup.leave()
        }
        let process = self.process
        exitGroup.notify(queue: .global()) {
            events.yield(.exited(status: process.terminationStatus, errorOutput: errors.text))
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

    /// Stops QEMU: SIGTERM, then SIGKILL after `grace` seconds. Returns when it has exited.
    public func stop(grace: Double = 2) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

final class LockedBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    func append(_ more: [UInt8]) { lock.withLock { bytes += more } }
    var text: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }
}
