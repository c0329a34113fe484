/// Picks the backend for a request: least outstanding requests, ties broken round-robin.
///
/// Each event loop balances the requests it serves over its own view of outstanding requests
/// (no cross-thread state on the hot path). With sequential requests everything is tied at zero
/// and the choice rotates, so a single keep-alive client still spreads its requests evenly; under
/// load a slow backend (a VM busy in TCG) collects fewer requests than a fast one.
///
/// Candidates rank, best first: not yet tried for this request and not cooling down after a
/// failed connect; not tried but cooling down; already tried (only when nothing else is left).
enum Balancer {
    struct Candidate {
        var outstanding: Int
        var tried: Bool
        var coolingDown: Bool
    }

    /// The index of the chosen candidate among `count`, scanning from `start` (a rotating cursor),
    /// or nil when `count` is 0.
    static func choose(count: Int, start: Int, candidate: (Int) -> Candidate) -> Int? {
        guard count > 0 else { return nil }
        var best = -1
        var bestRank = Int.max
        var bestOutstanding = Int.max
        let first = start % count
        var index = first
        for _ in 0..<count {
            let c = candidate(index)
            let rank = (c.tried ? 2 : 0) + (c.coolingDown ? 1 : 0)
            if rank < bestRank || (rank == bestRank && c.outstanding < bestOutstanding) {
                best = index
                bestRank = rank
                bestOutstanding = c.outstanding
            }
            index += 1
            if index == count { index = 0 }
        }
        return best
    }
}
