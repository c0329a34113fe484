/// The repair history of one instance, so that an instance that keeps failing is recreated less
/// and less often instead of in a tight loop.
///
/// The first repair is immediate. Each further repair, while the instance has not served for
/// `resetAfter` seconds in between, waits twice as long as the one before, counted from when the
/// failure was first seen: 10 s, 20 s, 40 s … up to 300 s. Serving (RUNNING and, with a health
/// check, HEALTHY) for `resetAfter` seconds without a break forgets the history.
public struct CrashLoopBackoff: Sendable, Equatable {
    /// The wait before the second repair in a row (seconds); it doubles for each further one.
    public var initialDelay: Double
    /// The longest wait (seconds).
    public var maxDelay: Double
    /// How long an instance must serve without a break for its history to be forgotten (seconds).
    public var resetAfter: Double
    /// Repairs since the instance last served for `resetAfter` seconds.
    public private(set) var consecutiveRepairs = 0
    /// When the instance was last recreated.
    public private(set) var lastRepairAt: Double?
    /// When the current failure was first seen; nil while the instance is not failing.
    public private(set) var failingSince: Double?
    /// Since when the instance has been serving without a break; nil while it is not.
    public private(set) var servingSince: Double?

    public init(initialDelay: Double = 10, maxDelay: Double = 300, resetAfter: Double = 300) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.resetAfter = resetAfter
    }

    /// How long the next repair waits after the failure is first seen.
    public var delay: Double {
        guard consecutiveRepairs > 0 else { return 0 }
        var delay = initialDelay
        for _ in 1..<consecutiveRepairs where delay < maxDelay { delay *= 2 }
        return min(delay, maxDelay)
    }

    /// When the current failure may be repaired; nil while the instance is not failing.
    public var repairAllowedAt: Double? {
        failingSince.map { $0 + delay }
    }

    /// Notes that the instance serves at `now`; after `resetAfter` seconds of it the history is forgotten.
    public mutating func observeServing(at now: Double) {
        failingSince = nil
        let since = servingSince ?? now
        servingSince = since
        if now - since >= resetAfter {
            consecutiveRepairs = 0
        }
    }

    /// Notes that the instance needs repair at `now`.
    public mutating func observeFailing(at now: Double) {
        servingSince = nil
        if failingSince == nil { failingSince = now }
    }

    /// Notes that the instance neither serves nor fails (booting, being recreated).
    public mutating func observeStarting() {
        servingSince = nil
        failingSince = nil
    }

    /// Whether the current failure may be repaired at `now`.
    public func allowsRepair(at now: Double) -> Bool {
        guard let repairAllowedAt else { return false }
        return now >= repairAllowedAt
    }

    /// Notes that the instance is being recreated at `now`.
    public mutating func recordRepair(at now: Double) {
        consecutiveRepairs += 1
        lastRepairAt = now
        failingSince = nil
        servingSince = nil
    }
}
