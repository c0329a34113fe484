/// A group's autohealing policy (GCE's `autoHealingPolicies[0]`). Whether there is a health check
/// shows in the instances' `health` (nil without one).
public struct AutohealingPolicy: Sendable, Equatable {
    /// Seconds after an instance is created or recreated during which an UNHEALTHY verdict does not
    /// lead to its repair. 0...3600, GCE default 0.
    public var initialDelaySec: Double

    public init(initialDelaySec: Double = 0) {
        self.initialDelaySec = initialDelaySec
    }

    /// The reasons GCE would reject this policy; empty when it is acceptable.
    public func validate() -> [PolicyViolation] {
        (0...3600).contains(initialDelaySec)
            ? [] : [.outOfRange(field: "autoHealingPolicies[].initialDelaySec", reason: "must be between 0 and 3600")]
    }
}

/// Why an instance is repaired.
public enum AutohealReason: String, Sendable, Equatable {
    /// Its VM died or stopped without the group asking (repaired even without a health check).
    case vmDied
    /// Its health check has reported UNHEALTHY past the initial delay.
    case unhealthy
}

/// A decision of the autohealer.
public enum AutohealAction: Sendable, Equatable {
    /// Recreate the instance under its name from its intended template (`RolloutPlan.intendedTemplates`),
    /// with a new `createdAt` and a fresh `HealthTracker`.
    case recreate(instance: String, reason: AutohealReason)
    /// The instance needs repair but is crash-looping: not before `until`.
    case backOff(instance: String, until: Double, reason: AutohealReason)
}

/// Repairs failed instances: those whose VM died, and those whose health check reports UNHEALTHY
/// once `initialDelaySec` has passed since they were created. Keeps a `CrashLoopBackoff` per
/// instance name (a recreated instance keeps its name, and so its history).
///
/// Concurrency: dead VMs are always repaired (they serve nothing). Repairs of live but UNHEALTHY
/// instances are capped so that the instances being recreated (already, or by this decision) stay
/// below `targetSize`, keeping at least one instance in place when a health check marks everything
/// unhealthy; a group of one may recreate its only instance. This is GCE's documented default ("the
/// number of concurrently autohealed instances is smaller than the managed instance group target
/// size"), not `updatePolicy.maxUnavailable`, which would forbid healing altogether with the
/// zero-downtime setting `maxUnavailable: 0`.
///
/// Call `decide` regularly (for example every health-check interval) on a snapshot taken after the
/// rollout planner's actions were applied: instances being deleted are left alone.
public struct Autohealer: Sendable, Equatable {
    /// Per-instance repair history, by instance name.
    public private(set) var backoffs: [String: CrashLoopBackoff] = [:]
    /// The history a newly seen instance starts with (it carries the delays).
    public var initialBackoff: CrashLoopBackoff

    public init(backoff: CrashLoopBackoff = CrashLoopBackoff()) {
        self.initialBackoff = backoff
    }

    /// Decides which instances to repair now, and updates their repair histories.
    /// - Parameters:
    ///   - instances: every instance of the group, including those being deleted.
    ///   - policy: the group's autohealing policy.
    ///   - targetSize: the group's `targetSize` (for the cap on concurrent repairs).
    ///   - now: the time of the decision (seconds, the caller's clock, never going back).
    /// - Returns: one `.recreate` per instance to repair now, one `.backOff` per instance that waits.
    public mutating func decide(
        instances: [ManagedInstanceSnapshot],
        policy: AutohealingPolicy,
        targetSize: Int,
        now: Double
    ) -> [AutohealAction] {
        let present = Set(instances.map(\.name))
        backoffs = backoffs.filter { present.contains($0.key) }

        var actions: [AutohealAction] = []
        var dueUnhealthy: [ManagedInstanceSnapshot] = []
        var recreating = instances.filter { $0.currentAction == .recreating && !$0.isDead }.count

        for instance in instances.sorted(by: { $0.name < $1.name }) where !instance.isLeaving {
            var backoff = backoffs[instance.name] ?? initialBackoff
            defer { backoffs[instance.name] = backoff }

            let reason: AutohealReason
            if instance.isDead {
                reason = .vmDied
            } else if isUnhealthyPastDelay(instance, policy: policy, now: now) {
                reason = .unhealthy
            } else {
                if instance.isAvailable { backoff.observeServing(at: now) } else { backoff.observeStarting() }
                continue
            }
            backoff.observeFailing(at: now)
            guard backoff.allowsRepair(at: now) else {
                actions.append(.backOff(instance: instance.name, until: backoff.repairAllowedAt ?? now, reason: reason))
                continue
            }
            if reason == .vmDied {
                backoff.recordRepair(at: now)
                actions.append(.recreate(instance: instance.name, reason: .vmDied))
                recreating += 1
            } else {
                dueUnhealthy.append(instance)
            }
        }

        let cap = max(1, targetSize - 1)
        for instance in dueUnhealthy.sorted(by: repairsBefore) where recreating < cap {
            backoffs[instance.name]?.recordRepair(at: now)
            actions.append(.recreate(instance: instance.name, reason: .unhealthy))
            recreating += 1
        }
        return actions
    }

    private func isUnhealthyPastDelay(_ instance: ManagedInstanceSnapshot, policy: AutohealingPolicy, now: Double) -> Bool {
        guard instance.status == .running, instance.health == .unhealthy else { return false }
        guard instance.currentAction == .none || instance.currentAction == .verifying else { return false }
        return now >= instance.createdAt + policy.initialDelaySec
    }

    /// Longest-failing first, then by name.
    private func repairsBefore(_ a: ManagedInstanceSnapshot, _ b: ManagedInstanceSnapshot) -> Bool {
        let aSince = backoffs[a.name]?.failingSince ?? .infinity
        let bSince = backoffs[b.name]?.failingSince ?? .infinity
        if aSince != bSince { return aSince < bSince }
        return a.name < b.name
    }
}
