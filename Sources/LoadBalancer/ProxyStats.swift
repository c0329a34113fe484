/// Counters of one ``ReverseProxy`` since it was created.
public struct ProxyStats: Sendable, Equatable {
    /// Client requests answered, whatever the outcome (relayed, produced by the proxy, or cut short).
    public var requests: Int = 0
    /// Error responses produced by the proxy itself: 502 (no backend answered), 503 (no backends),
    /// 504 (backend timeout). A 5xx relayed from a backend is not counted.
    public var failures: Int = 0
    /// Extra attempts made after a failure before any response byte: on another backend for an
    /// idempotent request, or on a fresh connection after a pooled keep-alive connection turned out
    /// to be closed by the backend.
    public var retries: Int = 0
    /// Requests abandoned midway: the backend failed or timed out after its response had started
    /// to flow (the client connection is then closed), or the client went away before its
    /// response was complete (wrk does so for the requests in flight when it stops).
    public var aborted: Int = 0
    /// Responses relayed from each backend, by ``Backend/id``.
    public var perBackend: [String: Int] = [:]

    public init() {}

    mutating func add(_ other: ProxyStats) {
        requests += other.requests
        failures += other.failures
        retries += other.retries
        aborted += other.aborted
        for (id, count) in other.perBackend {
            perBackend[id, default: 0] += count
        }
    }
}
