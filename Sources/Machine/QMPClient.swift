import Foundation

/// A minimal QMP (QEMU Machine Protocol) client on a Unix socket: negotiates capabilities,
/// reports events, and sends commands. It reads on its own thread; everything is delivered
/// through `onEvent`.
public final class QMPClient: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    /// Bytes read by `execute` past the last complete line.
    private var pending: [UInt8] = []

    /// Connects to `path`, retrying while QEMU creates the socket (up to `within` seconds).
    public init(path: String, within seconds: Double = 5) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw MachineError("cannot create a socket for QMP") }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                close(fd)
                throw MachineError("the QMP socket path \(path) is too long", hint: "set TMPDIR to a shorter directory")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, b) in bytes.enumerated() { raw[i] = b }
            }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if connected == 0 { self.fd = fd; break }
            close(fd)
            if Date() > deadline { throw MachineError("QEMU's QMP socket \(path) did not come up") }
            usleep(20_000)
        }
        try send(["execute": "qmp_capabilities"])
    }

    deinit { close(fd) }

    /// Sends one command (its answer arrives as a message without "event").
    public func send(_ message: [String: Any]) throws {
        var data = try JSONSerialization.data(withJSONObject: message)
        data.append(0x0A)
        let ok = lock.withLock {
            data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress!, $0.count) == $0.count }
        }
        if !ok { throw MachineError("cannot talk to QEMU over QMP: \(String(cString: strerror(errno)))") }
    }

    /// Sends `command` and waits up to `timeout` seconds for QEMU's answer to it; throws if QEMU
    /// answers with an error, closes the socket or does not answer in time. Waiting matters: QEMU
    /// drops the commands it has queued but not yet run when the client disconnects, so a client
    /// that sends and closes at once (a power button press at the plane's shutdown) can be ignored.
    /// Not for a client whose events are being read (`readEvents` owns the socket's input).
    @discardableResult
    public func execute(_ command: String, arguments: [String: Any]? = nil, timeout: Double = 2) throws -> [String: Any] {
        let id = "sortie-\(UInt32.random(in: 0 ... .max))"
        var message: [String: Any] = ["execute": command, "id": id]
        if let arguments { message["arguments"] = arguments }
        try send(message)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            while let object = Self.nextMessage(&pending) {
                guard object["id"] as? String == id else { continue }
                if let error = object["error"] as? [String: Any] {
                    throw MachineError("QEMU refused \(command): \(error["desc"] as? String ?? "\(error)")")
                }
                return object["return"] as? [String: Any] ?? [:]
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw MachineError("QEMU did not answer \(command) within \(timeout) s") }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(left * 1000) + 1) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            guard n > 0 else { throw MachineError("QEMU closed its QMP socket before answering \(command)") }
            pending += chunk[0..<n]
        }
    }

    /// Takes the next complete line off `buffer` as a JSON object (an unparsable line gives an
    /// empty one); nil when no complete line is buffered.
    static func nextMessage(_ buffer: inout [UInt8]) -> [String: Any]? {
        guard let newline = buffer.firstIndex(of: 0x0A) else { return nil }
        let line = Data(buffer[..<newline])
        buffer.removeSubrange(...newline)
        return (try? JSONSerialization.jsonObject(with: line) as? [String: Any]) ?? [:]
    }

    /// Reads messages until the socket closes, calling `onEvent(name, data)` for each event.
    public func readEvents(_ onEvent: @escaping @Sendable (String, [String: Any]) -> Void) {
        let fd = self.fd
        Thread.detachNewThread {
            var buffer: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n <= 0 { return }
                buffer += chunk[0..<n]
                while let object = Self.nextMessage(&buffer) {
                    if let event = object["event"] as? String {
                        onEvent(event, object["data"] as? [String: Any] ?? [:])
                    }
                }
            }
        }
    }
}
