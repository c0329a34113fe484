/// The CPU load of one running instance, as the autoscaler samples it.
public struct InstanceLoad: Sendable, Equatable {
    /// Fraction of the instance's vCPUs in use, 0...1 (values outside are clamped).
    public var utilization: Double
    /// When the instance started running (seconds, the caller's clock).
    public var runningSince: Double

    public init(utilization: Double, runningSince: Double) {
        self.utilization = utilization
        self.runningSince = runningSince
    }
}

/// GCE's `statusDetails[].type` values the autoscaler reports.
public enum AutoscalerStatusDetail: String, Sendable, Equatable, CaseIterable {
    case allInstancesUnhealthy = "ALL_INSTANCES_UNHEALTHY"
    case cappedAtMaxNumReplicas = "CAPPED_AT_MAX_NUM_REPLICAS"
    case minEqualsMax = "MIN_EQUALS_MAX"
    case modeOff = "MODE_OFF"
    case modeOnlyScaleOut = "MODE_ONLY_SCALE_OUT"
    case modeOnlyUp = "MODE_ONLY_UP"
}

/// What the autoscaler concluded from one observation.
public struct AutoscalerDecision: Sendable, Equatable {
    /// Why the size changes, or does not.
    public enum Reason: String, Sendable, Equatable {
        /// The load needs more instances (or the size is below `minNumReplicas`).
        case scaleOut
        /// Fewer instances have been enough for the whole stabilization period (or the size is above
        /// `maxNumReplicas`).
        case scaleIn
        /// Scaling in, but no further than the scale-in control allows within its time window.
        case scaleInLimited
        /// The load needs fewer instances now, but not over the whole stabilization period.
        case stabilizing
        /// The size is what the load needs.
        case steady
        /// No instance has run longer than the initialization period: the size is kept.
        case noData
        /// The recommendation differs from the size, but the mode forbids the change.
        case blockedByMode
    }

    /// GCE's `recommendedSize`: the size the autoscaler would set in mode ON.
    public var recommendedSize: Int
    /// The new `targetSize` to apply to the group; nil when it should not change.
    public var targetSize: Int?
    public var reason: Reason
    /// GCE's `statusDetails[].type`.
    public var statusDetails: [AutoscalerStatusDetail]

    public init(recommendedSize: Int, targetSize: Int?, reason: Reason, statusDetails: [AutoscalerStatusDetail]) {
        self.recommendedSize = recommendedSize
        self.targetSize = targetSize
        self.reason = reason
        self.statusDetails = statusDetails
    }
}

/// Sizes a group by CPU utilization. Feed it one observation at a time (for example every 15 s).
///
/// - The load is the sum of the utilization of instances that have run at least
///   `coolDownPeriodSec` (younger ones are initializing: their utilization is ignored, as GCE does).
///   The size it needs is `ceil(load / utilizationTarget)`, clamped to [min, max]. Summing rather than
///   averaging means instances still initializing after a scale-out do not inflate the
///   recommendation again.
/// - Scaling out is immediate. Scaling in goes only down to the largest size needed within the last
///   `stabilizationPeriodSec` (GCE's "peak load over the last 10 minutes"); the period starts with the
///   autoscaler's first observation, which counts as needing the group's current size, so a new
///   autoscaler never shrinks a group before it has watched it for a whole period.
/// - With `scaleInControl`, the size never goes below the largest size the group had within
///   `timeWindowSec` minus `maxScaledInReplicas` (a percentage of that size, rounded up).
/// - Without any initialized instance there is no signal: the size is kept (only clamped to
///   [min, max]).
/// - `maxNumReplicas` and `minNumReplicas` are hard limits and bypass stabilization; mode `OFF`
///   never changes the size and `ONLY_SCALE_OUT`/`ONLY_UP` never shrink it, but the recommendation
///   is reported in every mode.
public struct Autoscaler: Sendable, Equatable {
    public var policy: AutoscalerPolicy

    private struct Sample: Sendable, Equatable {
        var time: Double
        var size: Int
    }

    /// Sizes needed by the load, within the stabilization period.
    private var recommendations: [Sample] = []
    /// Observed group sizes, within the scale-in control's window.
    private var sizes: [Sample] = []
    /// The group's size at the first observation, standing for the time before it; it counts until
    /// a whole stabilization period has passed.
    private var initial: Sample?

    public init(policy: AutoscalerPolicy) {
        self.policy = policy
    }

    /// Takes one observation of the group and decides its size.
    /// - Parameters:
    ///   - instances: the load of every RUNNING instance.
    ///   - currentSize: the group's current `targetSize`.
    ///   - now: the time of the observation (seconds, the caller's clock, never going back).
    /// - Returns: the recommendation, and the `targetSize` to apply if the size should change.
    public mutating func observe(instances: [InstanceLoad], currentSize: Int, now: Double) -> AutoscalerDecision {
        let low = max(0, policy.minNumReplicas)
        let high = max(low, policy.maxNumReplicas)
        func clamp(_ size: Int) -> Int { min(high, max(low, size)) }
        let current = max(0, currentSize)

        let initial = self.initial ?? Sample(time: now, size: current)
        self.initial = initial

        // The signal: load of initialized instances.
        let initialized = instances.filter { now - $0.runningSince >= policy.coolDownPeriodSec }
        var needed: Int?
        if !initialized.isEmpty {
            // An invalid target (validation rejects it) falls back to GCE's default.
            let target = policy.cpuUtilizationTarget > 0 ? min(1, policy.cpuUtilizationTarget) : 0.6
            let load = initialized.reduce(0) { $0 + min(1, max(0, $1.utilization)) }
            needed = max(0, Int((load / target - 1e-9).rounded(.up)))
        }
        let raw = needed.map(clamp)
        if let raw { recommendations.append(Sample(time: now, size: raw)) }
        sizes.append(Sample(time: now, size: current))
        recommendations.removeAll { $0.time < now - policy.stabilizationPeriodSec }
        sizes.removeAll { $0.time < now - (policy.scaleInControl?.timeWindowSec ?? 0) }

        // Stabilized recommendation, then the scale-in control, then the hard limits.
        var stabilized = recommendations.map(\.size).max() ?? current
        if now - initial.time < policy.stabilizationPeriodSec {
            stabilized = max(stabilized, clamp(initial.size))
        }
        var desired = raw == nil ? current : stabilized
        var limited = false
        if desired < current, let control = policy.scaleInControl {
            let peak = sizes.map(\.size).max() ?? current
            let floor = peak - control.maxScaledInReplicas.calculated(against: peak)
            if floor > desired {
                desired = min(current, floor)
                limited = true
            }
        }
        desired = clamp(desired)

        var targetSize: Int?
        if (desired > current && policy.mode.scalesOut) || (desired < current && policy.mode.scalesIn) {
            targetSize = desired
        }

        let reason: AutoscalerDecision.Reason
        if desired != current && targetSize == nil {
            reason = .blockedByMode
        } else if desired > current {
            reason = .scaleOut
        } else if desired < current {
            reason = limited ? .scaleInLimited : .scaleIn
        } else if raw == nil {
            reason = .noData
        } else if let raw, raw < current {
            reason = limited ? .scaleInLimited : .stabilizing
        } else {
            reason = .steady
        }

        var details: [AutoscalerStatusDetail] = []
        switch policy.mode {
        case .on: break
        case .off: details.append(.modeOff)
        case .onlyScaleOut: details.append(.modeOnlyScaleOut)
        case .onlyUp: details.append(.modeOnlyUp)
        }
        if let needed, needed > high { details.append(.cappedAtMaxNumReplicas) }
        if low == high { details.append(.minEqualsMax) }
        if instances.isEmpty && current > 0 { details.append(.allInstancesUnhealthy) }

        return AutoscalerDecision(recommendedSize: desired, targetSize: targetSize, reason: reason, statusDetails: details)
    }
}
