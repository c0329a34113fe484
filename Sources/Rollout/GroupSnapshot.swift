/// One entry of a group's `versions`: a template and how many instances should run it.
public struct VersionSpec: Sendable, Equatable {
    public var name: String
    /// The instance template's URL (or any stable identifier the caller uses for it).
    public var instanceTemplate: String
    /// Nil for the one version that takes all remaining instances.
    public var targetSize: FixedOrPercent?

    public init(name: String, instanceTemplate: String, targetSize: FixedOrPercent? = nil) {
        self.name = name
        self.instanceTemplate = instanceTemplate
        self.targetSize = targetSize
    }
}

/// The life-cycle state of an instance's VM, as far as the decisions need it.
public enum InstanceStatus: String, Sendable, Equatable, CaseIterable {
    /// Being provisioned or booting (GCE: PROVISIONING, STAGING).
    case creating
    case running
    /// Being shut down, for example as part of a recreation (GCE: STOPPING).
    case stopping
    /// Being removed from the group for good.
    case deleting
    /// The VM died or stopped without the group asking it to (GCE: TERMINATED, STOPPED).
    case terminated
}

/// What the group is doing to an instance (`currentAction` in `listManagedInstances`; the raw values
/// are GCE's).
public enum ManagedInstanceAction: String, Sendable, Equatable, CaseIterable {
    case none = "NONE"
    case creating = "CREATING"
    case creatingWithoutRetries = "CREATING_WITHOUT_RETRIES"
    case recreating = "RECREATING"
    case deleting = "DELETING"
    case abandoning = "ABANDONING"
    case restarting = "RESTARTING"
    case refreshing = "REFRESHING"
    /// Created and running, waiting for the autohealing health check to report HEALTHY.
    case verifying = "VERIFYING"
    case starting = "STARTING"
    case stopping = "STOPPING"
    case suspending = "SUSPENDING"
    case resuming = "RESUMING"
}

/// One instance of a managed group, as the caller knows it at the moment of a decision.
public struct ManagedInstanceSnapshot: Sendable, Equatable {
    public var name: String
    /// The template the instance was (or is being) created from. After applying a `.recreate`
    /// action the caller sets it to the new template.
    public var instanceTemplate: String
    public var status: InstanceStatus
    /// The autohealing health check's verdict; nil when the group has no autohealing health check
    /// (then a RUNNING instance counts as available).
    public var health: HealthState?
    public var currentAction: ManagedInstanceAction
    /// When the instance was created or last recreated (seconds, the caller's clock).
    public var createdAt: Double
    /// False while the instance is HEALTHY but for less than the group's `updatePolicy.minReadySec`
    /// (GCE beta): it is not counted as available yet, so the update does not remove an old
    /// instance on its account. The caller judges it with its clock (`MinReadyClock`).
    public var isReady: Bool

    public init(
        name: String,
        instanceTemplate: String,
        status: InstanceStatus,
        health: HealthState? = nil,
        currentAction: ManagedInstanceAction = .none,
        createdAt: Double = 0,
        isReady: Bool = true
    ) {
        self.name = name
        self.instanceTemplate = instanceTemplate
        self.status = status
        self.health = health
        self.currentAction = currentAction
        self.createdAt = createdAt
        self.isReady = isReady
    }

    /// Whether the instance is leaving the group (being deleted or abandoned): it no longer counts
    /// toward the group's size or any version.
    public var isLeaving: Bool {
        status == .deleting || currentAction == .deleting || currentAction == .abandoning
    }

    /// Whether the instance serves: RUNNING, not being taken down, and HEALTHY when the group has a
    /// health check. GCE's update documentation counts an instance that was HEALTHY "at least once";
    /// this counts only one that is HEALTHY now, so capacity is never counted that does not serve.
    public var isAvailable: Bool {
        guard status == .running, health == nil || health == .healthy, isReady else { return false }
        switch currentAction {
        case .none, .verifying, .refreshing: return true
        default: return false
        }
    }

    /// Whether the VM died (autohealing repairs it whether or not there is a health check).
    public var isDead: Bool { status == .terminated }
}

/// Everything the rollout planner needs to know about a group at one moment.
public struct GroupSnapshot: Sendable, Equatable {
    /// The number of instances the group should have (outside a surge).
    public var targetSize: Int
    public var versions: [VersionSpec]
    public var updatePolicy: UpdatePolicy
    /// 1 for a zonal group; the number of zones of a regional group.
    public var zoneCount: Int
    /// Every instance of the group, including those being deleted.
    public var instances: [ManagedInstanceSnapshot]

    public init(
        targetSize: Int,
        versions: [VersionSpec],
        updatePolicy: UpdatePolicy = UpdatePolicy(),
        zoneCount: Int = 1,
        instances: [ManagedInstanceSnapshot]
    ) {
        self.targetSize = targetSize
        self.versions = versions
        self.updatePolicy = updatePolicy
        self.zoneCount = zoneCount
        self.instances = instances
    }
}
