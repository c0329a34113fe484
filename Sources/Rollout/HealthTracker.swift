/// An instance's health as the health checker judges it (the values GCE reports in
/// `instanceHealth[].detailedHealthState`).
public enum HealthState: String, Sendable, Equatable, CaseIterable {
    /// No threshold reached yet (a new or recreated instance).
    case unknown = "UNKNOWN"
    case healthy = "HEALTHY"
    case unhealthy = "UNHEALTHY"
}

/// The health of one instance, from the results of its probes.
///
/// The state starts `.unknown` and flips only after `healthyThreshold` consecutive successes (to
/// `.healthy`) or `unhealthyThreshold` consecutive failures (to `.unhealthy`); a single result never
/// flips it back. The caller runs the probes (`isProbeDue(at:)` says when), records each result, and
/// makes a new tracker (or calls `reset()`) when the instance is recreated.
public struct HealthTracker: Sendable, Equatable {
    public var policy: HealthCheckPolicy
    /// The verdict: `.unknown` until a threshold is first reached.
    public private(set) var state: HealthState = .unknown
    /// When the state last became `.unhealthy` (the probe that reached the threshold); nil unless unhealthy.
    public private(set) var unhealthySince: Double?
    /// When the state last became `.healthy`; nil unless healthy.
    public private(set) var healthySince: Double?
    /// Successes since the last failure.
    public private(set) var consecutiveSuccesses = 0
    /// Failures since the last success.
    public private(set) var consecutiveFailures = 0
    /// When the last probe result was recorded.
    public private(set) var lastProbeAt: Double?

    public init(policy: HealthCheckPolicy = HealthCheckPolicy()) {
        self.policy = policy
    }

    /// Records one probe result. A probe with no answer within `timeoutSec` is a failure.
    public mutating func record(success: Bool, at now: Double) {
        lastProbeAt = now
        if success {
            consecutiveSuccesses += 1
            consecutiveFailures = 0
            if state != .healthy, consecutiveSuccesses >= max(1, policy.healthyThreshold) {
                state = .healthy
                healthySince = now
                unhealthySince = nil
            }
        } else {
            consecutiveFailures += 1
            consecutiveSuccesses = 0
            if state != .unhealthy, consecutiveFailures >= max(1, policy.unhealthyThreshold) {
                state = .unhealthy
                unhealthySince = now
                healthySince = nil
            }
        }
    }

    /// Whether the next probe should start now: immediately for a tracker that has not probed yet,
    /// then every `checkIntervalSec`.
    public func isProbeDue(at now: Double) -> Bool {
        guard let lastProbeAt else { return true }
        return now >= lastProbeAt + policy.checkIntervalSec
    }

    /// Forgets every result (for an instance that was recreated), keeping the policy.
    public mutating func reset() {
        self = HealthTracker(policy: policy)
    }
}
