import Rollout

/// A managed instance group's stored state (its JSON, its members' instance and VM records, the
/// health verdicts) translated into the rollout planner's `GroupSnapshot`, pure: the
/// reconciler reads the store and the health monitor, calls this, then stores the changes it
/// returns and performs the planner's actions.
enum GroupSnapshotTranslation {
    /// A member's `currentAction` that changed in the translation (CREATING → VERIFYING → NONE),
    /// to be stored.
    struct ActionChange: Equatable {
        var instanceID: String
        var action: ManagedInstanceAction
    }

    /// The planner's view of `group` and its `members`. `health` gives the autohealing check's
    /// verdict on an instance id (nil: the group has no check); `readiness` keeps, across calls,
    /// when each instance became healthy (for `updatePolicy.minReadySec`).
    static func snapshot(group: JSONValue, members: [GroupService.Member], zoneCount: Int,
                         health: (String) -> HealthState?, readiness: inout MinReadyClock,
                         now: Double) -> (snapshot: GroupSnapshot, changes: [ActionChange]) {
        let minReadySec = group["updatePolicy"]?["minReadySec"]?.number ?? 0
        var changes: [ActionChange] = []
        let instances = members.map { member in
            let (instance, change) = self.instance(member, health: health(member.instance["id"]?.string ?? ""),
                                                   readiness: &readiness, minReadySec: minReadySec, now: now)
            if let change { changes.append(change) }
            return instance
        }
        let snapshot = GroupSnapshot(targetSize: Int(group["targetSize"]?.number ?? 0), versions: versions(group),
                                     updatePolicy: updatePolicy(group), zoneCount: zoneCount, instances: instances)
        return (snapshot, changes)
    }

    /// One member as the planner sees it: its status, health, action (a new instance is CREATING
    /// until it runs, then VERIFYING until its health check passes), and whether it counts as
    /// available yet.
    static func instance(_ member: GroupService.Member, health: HealthState?, readiness: inout MinReadyClock,
                         minReadySec: Double, now: Double) -> (ManagedInstanceSnapshot, ActionChange?) {
        let id = member.instance["id"]?.string ?? ""
        let status: InstanceStatus
        switch member.instance.instanceStatus {
        case .running?: status = .running
        case .stopping?: status = .stopping
        case .terminated?: status = .terminated
        case .provisioning?, .staging?, nil: status = .creating
        }
        let stored = ManagedInstanceAction(rawValue: member.vm["currentAction"]?.string ?? "NONE") ?? .none
        var action = stored
        if action == .creating || action == .verifying, status == .running {
            action = (health == nil || health == .healthy) ? .none : .verifying
        }
        let change = action != stored ? ActionChange(instanceID: id, action: action) : nil
        let ready = readiness.isReady(id, health: health, minReadySec: minReadySec, now: now)
        let snapshot = ManagedInstanceSnapshot(name: member.name, instanceTemplate: member.vm["template"]?.string ?? "",
                                               status: status, health: health, currentAction: action,
                                               createdAt: member.vm["createdAt"]?.number ?? 0, isReady: ready)
        return (snapshot, change)
    }

    static func versions(_ group: JSONValue) -> [VersionSpec] {
        (group["versions"]?.array ?? []).enumerated().map { i, v in
            VersionSpec(name: v["name"]?.string ?? "v\(i)", instanceTemplate: v["instanceTemplate"]?.string ?? "",
                        targetSize: fixedOrPercent(v["targetSize"]))
        }
    }

    static func fixedOrPercent(_ value: JSONValue?) -> FixedOrPercent? {
        if let n = value?["fixed"]?.number { return .fixed(Int(n)) }
        if let p = value?["percent"]?.number { return .percent(Int(p)) }
        return nil
    }

    /// The group's `updatePolicy` with GCE's defaults for what it leaves out.
    static func updatePolicy(_ group: JSONValue) -> UpdatePolicy {
        let p = group["updatePolicy"] ?? [:]
        return UpdatePolicy(
            type: UpdatePolicy.UpdateType(rawValue: p["type"]?.string ?? "PROACTIVE") ?? .proactive,
            minimalAction: UpdatePolicy.InstanceAction(rawValue: p["minimalAction"]?.string ?? "REPLACE") ?? .replace,
            mostDisruptiveAllowedAction: UpdatePolicy.InstanceAction(rawValue: p["mostDisruptiveAllowedAction"]?.string ?? "REPLACE") ?? .replace,
            replacementMethod: UpdatePolicy.ReplacementMethod(rawValue: p["replacementMethod"]?.string ?? "SUBSTITUTE") ?? .substitute,
            maxSurge: fixedOrPercent(p["maxSurge"]), maxUnavailable: fixedOrPercent(p["maxUnavailable"]))
    }
}
