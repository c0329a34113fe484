import Foundation

/// What a boot should wait for.
public struct BootRequest: Sendable {
    public var command: QEMUCommand
    /// A regular expression to wait for on the console; nil waits for the guest to power off.
    public var expect: String?
    public var timeoutSeconds: Double

    public init(command: QEMUCommand, expect: String?, timeoutSeconds: Double) {
        self.command = command
        self.expect = expect
        self.timeoutSeconds = timeoutSeconds
    }
}

/// How a boot ended.
public struct BootReport: Sendable {
    public var outcome: BootMonitor.Outcome
    /// Seconds from starting QEMU to the outcome.
    public var seconds: Double
    /// The last console lines.
    public var tail: [String]
}

/// Boots one guest and watches it until the monitor decides; always leaves no QEMU behind.
public final class GuestBoot: @unchecked Sendable {
    private let request: BootRequest
    private let stream: AsyncStream<BootMonitor.Event>
    private let continuation: AsyncStream<BootMonitor.Event>.Continuation

    public init(_ request: BootRequest) {
        self.request = request
        (stream, continuation) = AsyncStream.makeStream(of: BootMonitor.Event.self)
    }

    /// Ends the boot early (Ctrl-C); safe to call from any thread.
    public func interrupt() { continuation.yield(.interrupted) }

    /// Runs the guest; `onLine` receives each console line as it completes.
    public func run(onLine: (String) -> Void) async throws -> BootReport {
        var monitor = try BootMonitor(expect: request.expect)
        let guest = GuestProcess(command: request.command)
        let started = Date()
        try guest.start(events: continuation)
        defer { guest.stop() }
        let timeout = request.timeoutSeconds
        let continuation = self.continuation
        let timer = Task {
            try await Task.sleep(for: .milliseconds(Int(timeout * 1000)))
            continuation.yield(.timedOut(seconds: timeout))
        }
        defer { timer.cancel() }
        for await event in stream {
            for line in monitor.handle(event) { onLine(line) }
            if monitor.outcome != nil { break }
        }
        let seconds = Date().timeIntervalSince(started)
        return BootReport(outcome: monitor.outcome ?? .failed(reason: "QEMU vanished"), seconds: seconds, tail: monitor.tail)
    }
}
