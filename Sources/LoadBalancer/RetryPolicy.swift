import NIOHTTP1

/// What to do when an attempt failed before any response byte came back from the backend, as
/// the reference proxies do it (nginx's `proxy_next_upstream`, HAProxy's `retry-on`):
///
/// - The connection could not be made: nothing was sent, so any request, whatever its method,
///   moves to another backend while retries remain.
/// - The backend closed without a byte of response: only an idempotent request (RFC 9110 §9.2.2)
///   is sent again, since another may have been processed. On a *reused* keep-alive connection
///   this is almost always the classic keep-alive race (the backend had just timed the connection
///   out), so it is first resent once on a fresh connection to the same backend, outside the retry
///   budget; then it moves to another backend while retries remain. A non-idempotent request is
///   never sent on a reused connection (see ``FrontendHandler``), so it never meets that race.
/// - A response that had begun (a byte of its head) is never retried.
enum RetryPolicy {
    enum Failure: Equatable {
        /// Connection refused, unreachable, or the connect timed out: nothing was sent.
        case connect
        /// The connection closed or reset with no byte of response.
        case closedBeforeResponse(reusedConnection: Bool)
        /// The connection closed after part of a response head.
        case closedMidResponse
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
        switch failure {
        case .connect:
            return retriesLeft > 0 ? .anotherBackend : .fail
        case .closedBeforeResponse(let reused):
            guard idempotent else { return .fail }
            if reused && !alreadyRetriedStale { return .freshConnectionSameBackend }
            return retriesLeft > 0 ? .anotherBackend : .fail
        case .closedMidResponse:
            return .fail
        }
    }

    /// Methods whose repetition has the same effect as one request (RFC 9110 §9.2.2).
    static func isIdempotent(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .PUT, .DELETE, .OPTIONS, .TRACE: return true
        default: return false
        }
    }
}
