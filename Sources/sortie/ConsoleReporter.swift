import DiskImage
import Foundation
import Pipeline

/// Progress on standard error: a transfer bar redrawn in place on a terminal, plain lines
/// otherwise (CI logs), each prefixed with its step.
final class ConsoleReporter: DeployReporter, @unchecked Sendable {
    private let lock = NSLock()
    private let interactive: Bool
    private var barShown = false
    private var lastPlainPercent: [String: Int] = [:]

    init(interactive: Bool = isatty(STDERR_FILENO) == 1) {
        self.interactive = interactive
    }

    func started(_ step: String, _ detail: String) { line("[\(step)] \(detail)") }
    func progress(_ step: String, _ detail: String) { line("[\(step)] \(detail)") }
    func note(_ line: String) { self.line(line) }

    func finished(_ step: String, _ outcome: String, seconds: Double) {
        line("[\(step)] done in \(formatDecimal(seconds, places: 1)) s: \(outcome)")
    }

    func transferred(_ step: String, _ done: Int64, of total: Int64) {
        let percent = total == 0 ? 100 : Int(done * 100 / total)
        lock.lock()
        defer { lock.unlock() }
        if interactive {
            let width = 30
            let filled = width * percent / 100
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(step)] [\(bar)] \(percent)% \(ByteCount.text(done)) of \(ByteCount.text(total))".utf8))
            barShown = true
        } else if percent / 25 != (lastPlainPercent[step] ?? -1) / 25 || done == total {
            lastPlainPercent[step] = percent
            FileHandle.standardError.write(Data("[\(step)] \(percent)% (\(ByteCount.text(done)) of \(ByteCount.text(total)))\n".utf8))
        }
    }

    private func line(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        if barShown {
            FileHandle.standardError.write(Data("\n".utf8))
            barShown = false
        }
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
