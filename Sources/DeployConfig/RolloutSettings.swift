import Rollout

/// `service.rollout`: how a new release replaces the running one.
public struct RolloutSettings: Sendable, Equatable {
    /// `max-surge`: instances created above the group's size during a rollout; default 1.
    public var maxSurge: FixedOrPercent
    /// `max-unavailable`: instances that may be out of service during a rollout; default 0.
    public var maxUnavailable: FixedOrPercent
    /// `canary`: instances moved to the new release first, which must become healthy before the
    /// rest follow; 0 (the default) rolls out in one go. Less than `instances.min`.
    public var canary: Int
    /// `timeout`: seconds the rollout may take before it is rolled back; default 600.
    public var timeoutSeconds: Int
    /// `drain`: seconds the load balancer lets an instance that leaves finish its requests (the
    /// backend service's `connectionDraining.drainingTimeoutSec`); default 30. Each instance a
    /// rollout replaces costs this long before it is deleted: a short one suits fast guests.
    public var drainSeconds: Int
    /// `min-ready`: seconds a new instance must have been healthy before the rollout counts it and
    /// removes an old one (the group's `updatePolicy.minReadySec`). nil (the default): long enough
    /// for the load balancer's own health checks, which probe apart from the group's, to have seen
    /// it healthy too: `interval × (healthy + 1)` plus 1 s on the local plane, 10 s on GCE. A
    /// shorter wait makes a rollout faster and may briefly leave the balancer fewer instances it
    /// trusts; with a group of one, requests fail until it catches up.
    public var minReadySeconds: Int?
    /// Whether `max-surge` was written in the file (a default surge grows to a regional group's zone count).
    public var maxSurgeIsExplicit = false

    public init(maxSurge: FixedOrPercent = .fixed(1), maxUnavailable: FixedOrPercent = .fixed(0), canary: Int = 0,
                timeoutSeconds: Int = 600, drainSeconds: Int = 30, minReadySeconds: Int? = nil,
                maxSurgeIsExplicit: Bool = false) {
        self.minReadySeconds = minReadySeconds
        self.maxSurgeIsExplicit = maxSurgeIsExplicit
        self.drainSeconds = drainSeconds
        self.maxSurge = maxSurge
        self.maxUnavailable = maxUnavailable
        self.canary = canary
        self.timeoutSeconds = timeoutSeconds
    }

    /// The group's `updatePolicy` for this rollout (proactive, replace, substitute).
    public var updatePolicy: UpdatePolicy {
        UpdatePolicy(maxSurge: maxSurge, maxUnavailable: maxUnavailable)
    }

    init(_ node: ConfigNode, instances: InstanceCount) throws {
        let map = try node.mapping(["max-surge", "max-unavailable", "canary", "timeout", "drain", "min-ready"])
        let defaults = RolloutSettings()
        maxSurge = try map["max-surge"].optional { try $0.fixedOrPercent() } ?? defaults.maxSurge
        maxSurgeIsExplicit = map["max-surge"].isPresent
        maxUnavailable = try map["max-unavailable"].optional { try $0.fixedOrPercent() } ?? defaults.maxUnavailable
        canary = try map["canary"].optional { try $0.int(0...1000) } ?? defaults.canary
        // From 10 s: a unikernel is healthy about 2 s after it starts, and a release that never is
        // should be rolled back soon.
        timeoutSeconds = try map["timeout"].optional { try $0.seconds(10...86400) } ?? defaults.timeoutSeconds
        // GCE's range for connectionDraining.drainingTimeoutSec.
        drainSeconds = try map["drain"].optional { try $0.seconds(0...3600) } ?? defaults.drainSeconds
        // GCE's range for updatePolicy.minReadySec.
        minReadySeconds = try map["min-ready"].optional { try $0.seconds(0...3600) }
        if canary > 0, canary >= instances.min {
            throw map["canary"].error("\(canary) must be less than instances.min (\(instances.min)): the canary is part of the group",
                                      hint: "the other instances keep the current release until the canary is healthy")
        }
        // GCE's own rules for the update policy, judged at the group's smallest size.
        for violation in updatePolicy.validate(targetSize: instances.min, zoneCount: 1) {
            switch violation {
            case .percentNeedsTenInstances(let field):
                let key = map[Self.key(field)]
                throw key.error("\(key.shape) is a percentage, which GCE allows only for groups of 10 or more instances (instances.min is \(instances.min))",
                                hint: "give a number of instances instead")
            case .surgeAndUnavailableBothZero:
                throw node.error("max-surge and max-unavailable are both 0, so a rollout could never replace an instance",
                                 hint: "max-surge: 1 starts each new instance before stopping an old one")
            default:
                throw node.error("\(violation)")
            }
        }
    }

    /// `max-surge` and `max-unavailable` for a group spread over `zoneCount` zones. GCE requires a
    /// regional group's fixed values to be 0 or at least its number of zones, and defaults both to
    /// that number: a default surge of 1 becomes `zoneCount`; a value written in the file that
    /// breaks the rule is a problem (the message says what to write instead).
    public func forZones(_ zoneCount: Int) -> (maxSurge: FixedOrPercent, maxUnavailable: FixedOrPercent, problem: String?) {
        guard zoneCount > 1 else { return (maxSurge, maxUnavailable, nil) }
        let surge = maxSurgeIsExplicit ? maxSurge : .fixed(zoneCount)
        for (key, value) in [("max-surge", surge), ("max-unavailable", maxUnavailable)] {
            if case .fixed(let n) = value, n > 0, n < zoneCount {
                return (surge, maxUnavailable, "service.rollout.\(key) is \(n), but the group spreads over \(zoneCount) zones and GCE requires a regional group's \(key) to be 0 or at least its number of zones; use \(key): \(zoneCount)")
            }
        }
        return (surge, maxUnavailable, nil)
    }

    private static func key(_ updatePolicyField: String) -> String {
        updatePolicyField.hasSuffix("maxSurge") ? "max-surge" : "max-unavailable"
    }
}
