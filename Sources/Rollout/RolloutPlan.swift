/// One step the caller should take on a group. The planner returns them; the caller performs them
/// and records their effect on its instances before asking the planner again.
public enum RolloutAction: Sendable, Hashable {
    /// Create `count` new instances from `template` (the caller names them). Record them with
    /// status `.creating` and current action `.creating`.
    case create(template: String, count: Int)
    /// Delete the instance. Record current action `.deleting` until it is gone.
    case delete(instance: String)
    /// Recreate the instance under the same name from `template`. Record the new template, status
    /// `.creating` (or `.stopping` first), current action `.recreating`, and a new `createdAt`.
    case recreate(instance: String, template: String)
}

/// How many instances are undergoing each kind of action (GCE's `currentActions`).
/// Each field counts the instances whose `currentAction` is the value of the same name.
public struct ActionsSummary: Sendable, Equatable {
    public var none = 0
    public var creating = 0
    public var creatingWithoutRetries = 0
    public var recreating = 0
    public var deleting = 0
    public var abandoning = 0
    public var restarting = 0
    public var refreshing = 0
    public var verifying = 0
    public var starting = 0
    public var stopping = 0
    public var suspending = 0
    public var resuming = 0

    public init() {}

    /// Counts the current action of every instance.
    public init(counting instances: [ManagedInstanceSnapshot]) {
        for instance in instances {
            switch instance.currentAction {
            case .none: none += 1
            case .creating: creating += 1
            case .creatingWithoutRetries: creatingWithoutRetries += 1
            case .recreating: recreating += 1
            case .deleting: deleting += 1
            case .abandoning: abandoning += 1
            case .restarting: restarting += 1
            case .refreshing: refreshing += 1
            case .verifying: verifying += 1
            case .starting: starting += 1
            case .stopping: stopping += 1
            case .suspending: suspending += 1
            case .resuming: resuming += 1
            }
        }
    }
}

/// The group's `status` as GCE reports it, judged from the snapshot the plan was made from.
public struct GroupStatus: Sendable, Equatable {
    /// No instance is undergoing or awaiting any change: every instance is RUNNING, available and
    /// has no current action, the group has exactly `targetSize` instances, and the planner has
    /// nothing to do (nor anything it is waiting to do).
    public var isStable: Bool
    /// `status.versionTarget.isReached`: every version has exactly its target number of instances,
    /// no instance runs a template that is not in `versions`, and every instance is available
    /// (RUNNING, and HEALTHY where the group has a health check).
    public var versionTargetReached: Bool

    public init(isStable: Bool, versionTargetReached: Bool) {
        self.isStable = isStable
        self.versionTargetReached = versionTargetReached
    }
}

/// What the planner decided for one snapshot of a group.
public struct RolloutPlan: Sendable, Equatable {
    /// What to do now; empty when there is nothing to do, or nothing allowed yet.
    public var actions: [RolloutAction]
    public var status: GroupStatus
    /// GCE's `currentActions`.
    public var currentActions: ActionsSummary
    /// Each version's target number of instances, by version name (GCE's `targetSize.calculated`).
    public var versionTargetSizes: [String: Int]
    /// Each member's intended template (the `version` GCE lists per managed instance): its own for an
    /// instance that stays on its version, the template it will be replaced with for one that is to
    /// move. Autohealing recreates an instance from this template.
    public var intendedTemplates: [String: String]

    public init(
        actions: [RolloutAction],
        status: GroupStatus,
        currentActions: ActionsSummary,
        versionTargetSizes: [String: Int],
        intendedTemplates: [String: String]
    ) {
        self.actions = actions
        self.status = status
        self.currentActions = currentActions
        self.versionTargetSizes = versionTargetSizes
        self.intendedTemplates = intendedTemplates
    }
}
