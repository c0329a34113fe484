import Synchronization

/// Owns the plane's background tasks: the reconciler's loop, deletions after connection draining,
/// creations and recreations of group members, group deletions, and the watchers of adopted VMs.
/// `shutdown` cancels and awaits every one of them before the plane powers its VMs off, and no
/// task starts after it has begun, so nothing launches a VM once shutdown has taken its list of
/// VMs. Work that must not run after a cancellation checks `Task.isCancelled`.
final class TaskOwner: Sendable {
    private struct State {
        var tasks: [Int: Task<Void, Never>] = [:]
        var nextID = 0
        var closed = false
    }

    private let state = Mutex(State())

    /// Starts `work` as an owned task. Once `shutdown` has begun it starts nothing and returns false.
    @discardableResult
    func spawn(_ work: @escaping @Sendable () async -> Void) -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            state.nextID += 1
            let id = state.nextID
            // The task removes itself when done; it cannot before this insertion, which holds the lock.
            state.tasks[id] = Task { [weak self] in
                await work()
                self?.finished(id)
            }
            return true
        }
    }

    private func finished(_ id: Int) {
        _ = state.withLock { $0.tasks.removeValue(forKey: id) }
    }

    /// Tasks still running.
    var count: Int { state.withLock { $0.tasks.count } }

    /// Refuses new tasks, cancels the running ones and waits for all of them to end.
    func shutdown() async {
        let tasks = state.withLock { state -> [Task<Void, Never>] in
            state.closed = true
            return Array(state.tasks.values)
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }
}
