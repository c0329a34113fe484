import GCEModel

/// How often to poll an operation with `get` when the `wait` endpoint is not available: pure.
public struct PollingBackoff: Sendable, Equatable {
    public var initial: Duration = .seconds(1)
    public var multiplier: Double = 1.5
    public var maximum: Duration = .seconds(10)

    public init() {}

    /// The wait after `previous` (nil before the first poll).
    public func next(after previous: Duration?) -> Duration {
        guard let previous else { return initial }
        return min(.milliseconds(Int64(previous.inSeconds * multiplier * 1000)), maximum)
    }
}

extension ComputeClient {
    /// The longest one `operations.wait` call is allowed to block on the server (Google: about 2 minutes).
    static let waitCallTimeout: Duration = .seconds(150)

    /// Waits until `operation` is DONE, in its own scope, and returns it. Uses the `wait` endpoint
    /// (POST …/operations/NAME/wait), calling it again while the operation runs, and falls back to
    /// polling `get` with backoff if the server has no `wait`. Throws `OperationFailedError` if the
    /// operation ended with `error.errors[]`, `GCEClientError.operationTimedOut` after `timeout`.
    public func wait(for operation: ComputeOperation, timeout: Duration = .seconds(600)) async throws -> ComputeOperation {
        let scope = ComputeScope(of: operation)
        let base = url(scope.path + "/operations/" + PathEncoding.segment(operation.name))
        let start = rest.clock.now()
        var current = operation
        var useWait = true
        var pollDelay: Duration?
        let backoff = PollingBackoff()
        while !current.isDone {
            let remaining = timeout - (rest.clock.now() - start)
            guard remaining > .zero else { throw GCEClientError.operationTimedOut(current, after: timeout) }
            if useWait {
                let began = rest.clock.now()
                do {
                    current = try await rest.json("POST", base + "/wait", body: EmptyBody(),
                                                  timeout: min(remaining, Self.waitCallTimeout), budget: remaining)
                } catch let error as GCEAPIError where [404, 405, 501].contains(error.status) {
                    // No wait endpoint here (or the operation is gone: the get says which).
                    useWait = false
                    continue
                } catch GCEClientError.unreachable(_, let transport, _) where transport.kind == .timeout {
                    continue  // the deadline check above decides
                }
                // A wait that returns at once without DONE must not turn into a busy loop.
                if !current.isDone, rest.clock.now() - began < .seconds(1) {
                    pollDelay = backoff.next(after: pollDelay)
                    try await rest.clock.sleep(min(pollDelay!, remaining))
                }
            } else {
                pollDelay = backoff.next(after: pollDelay)
                try await rest.clock.sleep(min(pollDelay!, remaining))
                current = try await rest.json("GET", base, budget: remaining)
            }
        }
        if let errors = current.error?.errors, !errors.isEmpty { throw OperationFailedError(operation: current) }
        return current
    }
}
