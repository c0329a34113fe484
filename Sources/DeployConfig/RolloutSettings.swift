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

    public init(maxSurge: FixedOrPercent = .fixed(1), maxUnavailable: FixedOrPercent = .fixed(0), canary: Int = 0,
                timeoutSeconds: Int = 600) {
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
        let map = try node.mapping(["max-surge", "max-unavailable", "canary", "timeout"])
        let defaults = RolloutSettings()
        maxSurge = try map["max-surge"].optional { try $0.fixedOrPercent() } ?? defaults.maxSurge
        maxUnavailable = try map["max-unavailable"].optional { try $0.fixedOrPercent() } ?? defaults.maxUnavailable
        canary = try map["canary"].optional { try $0.int(0...1000) } ?? defaults.canary
        timeoutSeconds = try map["timeout"].optional { try $0.seconds(60...86400) } ?? defaults.timeoutSeconds
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

    private static func key(_ updatePolicyField: String) -> String {
        updatePolicyField.hasSuffix("maxSurge") ? "max-surge" : "max-unavailable"
    }
}
