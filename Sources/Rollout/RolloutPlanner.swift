/// Decides how a managed instance group moves toward its target: its size and the split of its
/// instances among `versions`, under its `updatePolicy`. Pure: the same snapshot gives the same plan.
///
/// Rules (GCE's, made precise where its documentation is not):
/// - An instance belongs to the version whose template it runs; one whose template is in no version
///   is *outdated*. Instances being deleted do not count.
/// - Each version has a target count (`VersionTargets.sizes`). A version with more instances than
///   its target keeps the available ones, then the oldest; the others are *surplus*.
/// - New instances are created for versions below target. The group never grows beyond `targetSize`,
///   except during a `PROACTIVE` `SUBSTITUTE` update, which may create up to `maxSurge` extra
///   instances of versions below target before removing anything (surge first), and refills the
///   room a deletion leaves within the same plan.
/// - Outdated and surplus instances are removed, unavailable ones first (they serve nothing), then
///   outdated before surplus, then the newest. Removing an unavailable instance is always allowed;
///   removing an available one (deleting or recreating it) only while the available instances that
///   remain are at least `targetSize − maxUnavailable`. So with `maxUnavailable` 0 an old instance
///   goes only once a new one serves, and new instances that never become healthy never take
///   capacity away. The same rule applies to a resize down.
/// - `PROACTIVE` + `SUBSTITUTE` deletes outdated/surplus instances and lets the creations replace
///   them. `PROACTIVE` + `RECREATE` recreates them in place (same name) from the template of a
///   version below target, with no surge. `OPPORTUNISTIC` (or a `PROACTIVE` policy whose
///   `mostDisruptiveAllowedAction` forbids `REPLACE`, which a template change needs) only creates
///   to reach `targetSize` and only deletes beyond it, choosing templates and victims by the same
///   rules, and otherwise leaves outdated instances alone; autohealing recreates them from their
///   intended template.
/// - Dead VMs (`.terminated`) are members like any other and count as unavailable: the autohealer
///   repairs them. The planner may delete one that is outdated or surplus anyway.
/// - With no versions there is nothing to create from: the plan has no actions.
public enum RolloutPlanner {
    /// What to do next for `group`, and the group's status as GCE reports it. Apply the actions,
    /// record their effect on the instances, and plan again on the next change or tick.
    public static func plan(_ group: GroupSnapshot) -> RolloutPlan {
        let targetSize = max(0, group.targetSize)
        let policy = group.updatePolicy
        let versionSizes = VersionTargets.sizes(of: group.versions, groupSize: targetSize)
        let partition = VersionPartition(group, versionSizes: versionSizes)

        let actions = partition.templates.isEmpty ? [] : decideActions(
            partition,
            targetSize: targetSize,
            policy: policy,
            surge: policy.resolvedMaxSurge(targetSize: targetSize, zoneCount: group.zoneCount),
            minAvailable: targetSize - policy.resolvedMaxUnavailable(targetSize: targetSize, zoneCount: group.zoneCount)
        )

        let workRemains = !actions.isEmpty
            || partition.members.count != targetSize
            || (policy.replacesProactively && (!partition.candidates.isEmpty || partition.deficits.contains { $0 > 0 }))
        let isStable = !workRemains && group.instances.allSatisfy {
            !$0.isLeaving && $0.currentAction == .none && $0.isAvailable
        }
        let versionTargetReached = !partition.templates.isEmpty
            && partition.outdated.isEmpty
            && zip(partition.buckets, partition.targets).allSatisfy { $0.count == $1 }
            && partition.members.allSatisfy(\.isAvailable)

        var versionTargetSizes: [String: Int] = [:]
        for (version, size) in zip(group.versions, versionSizes) {
            versionTargetSizes[version.name, default: 0] += size
        }
        return RolloutPlan(
            actions: actions,
            status: GroupStatus(isStable: isStable, versionTargetReached: versionTargetReached),
            currentActions: ActionsSummary(counting: group.instances),
            versionTargetSizes: versionTargetSizes,
            intendedTemplates: intendedTemplates(partition, versions: group.versions)
        )
    }

    /// Kept instances stay on their template; the others go, in removal order, to the versions
    /// below target, and any left over keep their version's template (or, if outdated, get the
    /// template of the version that takes the rest).
    private static func intendedTemplates(_ partition: VersionPartition, versions: [VersionSpec]) -> [String: String] {
        let restTemplate = versions.first { $0.targetSize == nil }?.instanceTemplate ?? versions.last?.instanceTemplate
        let outdated = Set(partition.outdated.map(\.name))
        var intended: [String: String] = [:]
        for member in partition.kept { intended[member.name] = member.instanceTemplate }
        var open = partition.deficits
        for candidate in partition.candidates {
            if let slot = open.firstIndex(where: { $0 > 0 }) {
                open[slot] -= 1
                intended[candidate.name] = partition.templates[slot]
            } else if !outdated.contains(candidate.name) {
                intended[candidate.name] = candidate.instanceTemplate
            } else if let restTemplate {
                intended[candidate.name] = restTemplate
            }
        }
        return intended
    }

    private static func decideActions(
        _ partition: VersionPartition,
        targetSize: Int,
        policy: UpdatePolicy,
        surge: Int,
        minAvailable: Int
    ) -> [RolloutAction] {
        let proactive = policy.replacesProactively
        let inPlace = policy.replacementMethod == .recreate
        var removals: [RolloutAction] = []
        var memberCount = partition.members.count
        var available = partition.members.filter(\.isAvailable).count
        var open = partition.deficits
        var creations = Array(repeating: 0, count: partition.templates.count)

        // Creations: up to targetSize, or up to targetSize + maxSurge while substituting. Run before
        // the removals and again after them, so a deletion's room is refilled in the same plan.
        let ceiling = proactive && !inPlace ? targetSize + surge : targetSize
        func create() {
            var room = max(0, ceiling - memberCount)
            for slot in open.indices where room > 0 && open[slot] > 0 {
                let count = min(open[slot], room)
                creations[slot] += count
                open[slot] -= count
                room -= count
                memberCount += count
            }
        }
        create()

        // Removals, least useful first.
        for candidate in partition.candidates {
            let replacement = proactive && inPlace ? open.firstIndex { $0 > 0 } : nil
            // Without a replacement in place, a removal is a deletion; outside a substituting update
            // only instances beyond targetSize are deleted.
            guard replacement != nil || (proactive && !inPlace) || memberCount > targetSize else { continue }
            if candidate.isAvailable {
                // Candidates are sorted unavailable first: if this one may not go, none after it may.
                guard available - 1 >= minAvailable else { break }
                available -= 1
            }
            if let replacement {
                removals.append(.recreate(instance: candidate.name, template: partition.templates[replacement]))
                open[replacement] -= 1
            } else {
                removals.append(.delete(instance: candidate.name))
                memberCount -= 1
            }
        }
        create()

        let creates = creations.indices.compactMap { slot in
            creations[slot] > 0 ? RolloutAction.create(template: partition.templates[slot], count: creations[slot]) : nil
        }
        return creates + removals
    }
}
