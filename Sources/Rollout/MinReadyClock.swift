/// GCE's `updatePolicy.minReadySec` (beta API): how long a newly created instance must have been
/// available before a rolling update counts it, so that whatever else judges the instance (a load
/// balancer's own health checks, which probe apart from the group's autohealing check) has caught
/// up before an old instance is removed on its account. Pure: remembers, by the caller's clock,
/// when each instance it saw becoming HEALTHY did so.
///
/// Only an instance seen not HEALTHY first starts a wait: one that is HEALTHY the first time it is
/// seen (an instance that was serving before the plane restarted, or before the policy was set)
/// has been available for longer than anyone can tell and counts at once, so that setting the
/// policy never makes serving instances look unavailable.
public struct MinReadyClock: Sendable, Equatable {
    /// When each instance (by id) became HEALTHY in its current healthy spell; nil: long ago.
    private var healthySince: [String: Double?] = [:]
    /// Instances last seen not HEALTHY.
    private var notHealthy: Set<String> = []

    public init() {}

    /// Records `health` of instance `id` at `now`, and answers whether the instance has been
    /// HEALTHY for at least `minReadySec`. An instance without a verdict (nil: the group has no
    /// health check) is judged by the caller's other rules and always ready here.
    public mutating func isReady(_ id: String, health: HealthState?, minReadySec: Double, now: Double) -> Bool {
        guard let health else { return true }
        guard health == .healthy else {
            healthySince[id] = nil
            notHealthy.insert(id)
            return false
        }
        if let known = healthySince[id] {
            guard let since = known else { return true }
            return now - since >= minReadySec
        }
        if notHealthy.remove(id) != nil {
            healthySince[id] = .some(now)
            return minReadySec <= 0
        }
        healthySince[id] = .some(nil)
        return true
    }

    /// Forgets instances that are gone.
    public mutating func forget(except ids: Set<String>) {
        healthySince = healthySince.filter { ids.contains($0.key) }
        notHealthy.formIntersection(ids)
    }
}
