import Foundation

/// A value shared between event loops and callers, behind a lock.
///
/// Used only where state really is shared: the current backend table (read once per request) and
/// the per-event-loop counters behind ``ProxyStats`` (written once per request, read rarely). Each
/// lock is uncontended in steady state. (`NIOLockedValueBox` lives in NIOConcurrencyHelpers, which
/// this target does not depend on.)
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
