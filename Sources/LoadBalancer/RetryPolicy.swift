import NIOHTTP1

/// What to do when an attempt failed before any response came back from the backend.
///
/// - A request sent on a *reused* keep-alive connection that the backend then closed without
///   answering almost always met a connection the backend had just timed out (the classic
///   keep-alive race); it is resent once on a fresh connection to the same backend, whatever its
///   method, so a stale pooled connection never turns into a client error. This does not consume
///   the retry budget.
/// - Otherwise an idempotent request is retried on another backend while retries remain.
/// - Anything else (including every non-idempotent request that failed on a fresh connection)
///   gets 502: it may have been processed.
enum RetryPolicy {
    enum Failure: Equatable {
        /// Connection refused, unreachable, or the connect timed out: nothing was sent.
        case connect
        /// The connection closed or reset before a response head arrived.
        case closedBeforeResponse(reusedConnection: Bool)
    }

    enum Decision: Equatable {
        case freshConnectionSameBackend
        case anotherBackend
        case fail
    }

    static func decide(
        _ failure: Failure,
        idempotent: Bool,
        retriesLeft: Int,
        alreadyRetriedStale: Bool
    ) -> Decision {
        if case .closedBeforeResponse(reusedConnection: true) = failure, !alreadyRetriedStale {
            return .freshConnectionSameBackend
        }
        if idempotent && retriesLeft > 0 {
            return .anotherBackend
        }
        return .fail
    }

    /// Methods whose repetition has the same effect as one request (RFC 9110 §9.2.2).
    static func isIdempotent(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .PUT, .DELETE, .OPTIONS, .TRACE: return true
        default: return false
        }
    }
}
