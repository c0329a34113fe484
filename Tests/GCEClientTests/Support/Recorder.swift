import Synchronization

/// Values collected from `@Sendable` callbacks.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])

    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}

/// A lower-case name nobody else uses: prefix + 8 hex digits.
func uniqueName(_ prefix: String) -> String {
    prefix + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16).leftPadded(8)
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
