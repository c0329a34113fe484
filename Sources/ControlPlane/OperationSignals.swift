import Synchronization

/// Wakes callers of `operations.wait` when an operation finishes, instead of having them poll the
/// store. A waiter registers its interest before it reads the operation, and `Operations.finish`
/// writes the operation before it signals, so a finish is never missed: either the read sees DONE
/// or the signal comes after the registration.
final class OperationSignals: Sendable {
    private struct Waiter {
        var key: String
        var fired = false
        var continuation: CheckedContinuation<Void, Never>?
    }

    private struct State {
        var waiters: [Int: Waiter] = [:]
        var nextToken = 0
    }

    private let state = Mutex(State())

    /// Registers interest in the operation `key` (`COLLECTION/NAME`); pass the token to `wait`.
    func register(_ key: String) -> Int {
        state.withLock { state in
            state.nextToken += 1
            state.waiters[state.nextToken] = Waiter(key: key)
            return state.nextToken
        }
    }

    /// The operation `key` has finished: wakes everyone registered for it.
    func signal(_ key: String) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            var woken: [CheckedContinuation<Void, Never>] = []
            for (token, waiter) in state.waiters where waiter.key == key {
                state.waiters[token]?.fired = true
                if let continuation = waiter.continuation {
                    state.waiters[token]?.continuation = nil
                    woken.append(continuation)
                }
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns once `token`'s operation has been signalled (also if that happened before this
    /// call), or when the calling task is cancelled.
    func wait(_ token: Int) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    guard let waiter = state.waiters[token], !waiter.fired else { return true }
                    state.waiters[token]?.continuation = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            unregister(token)
        }
    }

    /// Forgets `token`, resuming its waiter if one is suspended.
    func unregister(_ token: Int) {
        let continuation = state.withLock { $0.waiters.removeValue(forKey: token)?.continuation }
        continuation?.resume()
    }

    /// Registered waiters (for tests: none may be left behind).
    var count: Int { state.withLock { $0.waiters.count } }
}
