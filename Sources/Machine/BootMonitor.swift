import DiskImage
import Foundation

/// Decides how a boot ends, from what the guest prints and what QEMU reports. Pure: the driver
/// feeds it events and acts on the outcome.
public struct BootMonitor {
    public enum Event: Sendable {
        /// Raw bytes from the serial console.
        case console([UInt8])
        /// The console stream ended (QEMU closed it).
        case consoleClosed
        /// QMP's SHUTDOWN event with its reason (`guest-shutdown`, `guest-reset`, `guest-panic`, ...).
        case shutdown(reason: String)
        /// The QEMU process exited.
        case exited(status: Int32, errorOutput: String)
        case timedOut(seconds: Double)
        case interrupted
    }

    public enum Outcome: Equatable, Sendable {
        /// The expected pattern appeared in this console line.
        case matched(line: String)
        /// No pattern was asked for and the guest powered itself off.
        case poweredOff
        case failed(reason: String)

        public var succeeded: Bool {
            if case .failed = self { return false }
            return true
        }
    }

    private let expect: Regex<AnyRegexOutput>?
    private let expectText: String?
    private var filter = ConsoleFilter()
    private var consoleClosed = false
    private var exit: (status: Int32, errorOutput: String)?
    private var shutdownReason: String?
    public private(set) var tail: [String] = []
    public private(set) var outcome: Outcome?
    private let tailLimit: Int

    /// - Parameter expect: a regular expression to look for in each console line.
    public init(expect: String?, tailLines: Int = 25) throws {
        if let expect {
            do { self.expect = try Regex(expect) } catch {
                throw MachineError("--expect \(expect) is not a valid regular expression", hint: "check brackets and escapes; quote it in the shell")
            }
        } else {
            self.expect = nil
        }
        expectText = expect
        tailLimit = tailLines
    }

    /// Handles one event; returns the complete console lines it produced (for display).
    public mutating func handle(_ event: Event) -> [String] {
        guard outcome == nil else { return [] }
        switch event {
        case .console(let bytes):
            let lines = filter.feed(bytes)
            for line in lines { remember(line) }
            if let expect {
                if let hit = lines.first(where: { $0.contains(expect) }) {
                    outcome = .matched(line: hit)
                } else if filter.pendingLine.contains(expect) {
                    outcome = .matched(line: filter.pendingLine)
                }
            }
            return lines
        case .consoleClosed:
            consoleClosed = true
            let last = filter.pendingLine
            if !last.isEmpty { remember(last) }
            concludeIfExited()
            return last.isEmpty ? [] : [last]
        case .shutdown(let reason):
            shutdownReason = reason
        case .exited(let status, let errorOutput):
            exit = (status, errorOutput)
            concludeIfExited()
        case .timedOut(let seconds):
            let what = expectText.map { "no console line matched /\($0)/" } ?? "the guest did not power off"
            outcome = .failed(reason: "timed out after \(formatSeconds(seconds)): \(what)")
        case .interrupted:
            outcome = .failed(reason: "interrupted")
        }
        return []
    }

    private mutating func remember(_ line: String) {
        tail.append(line)
        if tail.count > tailLimit { tail.removeFirst(tail.count - tailLimit) }
    }

    /// Once QEMU has exited and its console is drained, say why the guest stopped.
    private mutating func concludeIfExited() {
        guard let exit, consoleClosed, outcome == nil else { return }
        switch shutdownReason {
        case "guest-shutdown":
            outcome = expectText == nil ? .poweredOff
                : .failed(reason: "the guest powered off without printing a line matching /\(expectText!)/")
        case "guest-reset":
            outcome = .failed(reason: "the guest crashed: it reset itself (a triple fault, or a reboot)")
        case "guest-panic":
            outcome = .failed(reason: "the guest panicked")
        case let reason?:
            outcome = .failed(reason: "QEMU stopped the guest (\(reason))")
        case nil:
            let detail = exit.errorOutput.split(separator: "\n").suffix(3).joined(separator: "; ")
            outcome = .failed(reason: "QEMU exited with status \(exit.status)" + (detail.isEmpty ? "" : ": \(detail)"))
        }
    }
}

func formatSeconds(_ s: Double) -> String {
    formatDecimal(s, places: s < 10 ? 2 : 0) + " s"
}
