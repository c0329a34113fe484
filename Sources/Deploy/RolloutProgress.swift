import GCEModel

/// What a rollout waits for, judged from one look at the group: pure.
///
/// A rollout is done when the group says it is stable and has reached its version target, and
/// every instance runs with no pending action, is on a wanted template and passes its health
/// check (GCE's `detailedHealthState` HEALTHY, reported at least once when the group has an
/// autohealing check; groups without one have no health, and RUNNING counts).
public struct RolloutProgress: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case done
        case waiting
    }

    public var state: State
    /// One line for progress output: `2 of 3 on r1a2b3c4d5e6f, 2 healthy; group not stable yet`.
    public var summary: String
    /// Instances of the new release that are running but not healthy (for the console tail).
    public var unhealthyNewInstances: [String]

    /// Judges `group` and its `instances` for a rollout to `template` (a template name). With
    /// `atLeast`, only that many instances must be on it (a canary); otherwise all.
    public static func assess(group: InstanceGroupManager, instances: [ManagedInstance], template: String,
                              atLeast: Int? = nil) -> RolloutProgress {
        // With autohealing, an instance serves only once its check reported HEALTHY; an empty
        // health report (no probe has answered yet) is not healthy.
        let checked = !(group.autoHealingPolicies ?? []).isEmpty
        let isServing = { (instance: ManagedInstance) in Self.isServing(instance, requiresHealth: checked) }
        let onRelease = instances.filter { templateName($0) == template }
        let healthyOnRelease = onRelease.filter(isServing)
        let stable = group.status?.isStable == true
        let reached = group.status?.versionTarget?.isReached == true
        let wanted = atLeast ?? max(group.targetSize ?? 0, 1)
        let enough = atLeast == nil ? onRelease.count == instances.count && !instances.isEmpty : onRelease.count >= wanted
        let allServing = instances.allSatisfy(isServing)
        let done = stable && reached && enough && allServing && healthyOnRelease.count >= wanted
        var parts = ["\(onRelease.count) of \(instances.count) on \(template), \(healthyOnRelease.count) healthy"]
        if !stable { parts.append("group not stable yet") }
        let busy = instances.compactMap { instance -> String? in
            guard let action = instance.currentAction, action != "NONE" else { return nil }
            return "\(shortName(instance)) \(action.lowercased())"
        }
        if !busy.isEmpty { parts.append(busy.joined(separator: ", ")) }
        let unhealthy = onRelease.filter { $0.instanceStatus == "RUNNING" && !isServing($0) }.map(shortName)
        return RolloutProgress(state: done ? .done : .waiting, summary: parts.joined(separator: "; "),
                               unhealthyNewInstances: unhealthy)
    }

    /// Running, no pending action, and healthy by every check it has; with `requiresHealth` (the
    /// group has an autohealing check) at least one HEALTHY report is needed.
    public static func isServing(_ instance: ManagedInstance, requiresHealth: Bool = false) -> Bool {
        guard instance.instanceStatus == "RUNNING", (instance.currentAction ?? "NONE") == "NONE" else { return false }
        let health = instance.instanceHealth ?? []
        if requiresHealth, health.isEmpty { return false }
        return health.allSatisfy { $0.detailedHealthState == "HEALTHY" }
    }

    /// The health an instance shows: HEALTHY, UNHEALTHY, … or `-` without checks.
    public static func health(_ instance: ManagedInstance) -> String {
        let states = (instance.instanceHealth ?? []).compactMap(\.detailedHealthState)
        return states.isEmpty ? "-" : Array(Set(states)).sorted().joined(separator: ",")
    }

    public static func templateName(_ instance: ManagedInstance) -> String? {
        instance.version?.instanceTemplate.map(lastSegment)
    }

    public static func shortName(_ instance: ManagedInstance) -> String { lastSegment(instance.instance ?? "?") }

    public static func lastSegment(_ reference: String) -> String { String(reference.split(separator: "/").last ?? "") }
}
