/// A managed instance group (zonal or regional `instanceGroupManagers`). A rolling update is a
/// PATCH of `versions` (and `updatePolicy`); it is finished when `status.isStable` and
/// `status.versionTarget.isReached`.
public struct InstanceGroupManager: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String?
    public var description: String?
    public var baseInstanceName: String?
    public var instanceTemplate: String?
    public var versions: [Version]?
    public var targetSize: Int?
    public var namedPorts: [NamedPort]?
    public var autoHealingPolicies: [AutoHealingPolicy]?
    public var updatePolicy: UpdatePolicy?
    public var distributionPolicy: DistributionPolicy?
    /// Output: the URL of the instance group the manager runs (a backend service's `group`).
    public var instanceGroup: String?
    public var status: Status?
    public var currentActions: [String: Int]?
    public var fingerprint: String?
    public var zone: String?
    public var region: String?
    public var creationTimestamp: String?
    public var selfLink: String?

    /// An empty manager, for PATCH bodies: set only what changes.
    public init() {}

    public init(name: String, baseInstanceName: String, versions: [Version], targetSize: Int,
                namedPorts: [NamedPort]? = nil, autoHealingPolicies: [AutoHealingPolicy]? = nil,
                updatePolicy: UpdatePolicy? = nil) {
        self.name = name
        self.baseInstanceName = baseInstanceName
        self.versions = versions
        self.targetSize = targetSize
        self.namedPorts = namedPorts
        self.autoHealingPolicies = autoHealingPolicies
        self.updatePolicy = updatePolicy
    }

    /// One version: exactly one in `versions` leaves `targetSize` unset.
    public struct Version: Codable, Sendable, Equatable {
        public var name: String?
        public var instanceTemplate: String?
        public var targetSize: FixedOrPercent?

        public init(name: String? = nil, instanceTemplate: String, targetSize: FixedOrPercent? = nil) {
            self.name = name
            self.instanceTemplate = instanceTemplate
            self.targetSize = targetSize
        }
    }

    /// `{"healthCheck": URL, "initialDelaySec": N}`; the health check must be global.
    public struct AutoHealingPolicy: Codable, Sendable, Equatable {
        public var healthCheck: String?
        public var initialDelaySec: Int?

        public init(healthCheck: String, initialDelaySec: Int? = nil) {
            self.healthCheck = healthCheck
            self.initialDelaySec = initialDelaySec
        }
    }

    /// How a rolling update proceeds (`PROACTIVE`, `REPLACE`, `SUBSTITUTE`, surge and unavailable).
    public struct UpdatePolicy: Codable, Sendable, Equatable {
        public var type: String?
        public var minimalAction: String?
        public var mostDisruptiveAllowedAction: String?
        public var replacementMethod: String?
        public var maxSurge: FixedOrPercent?
        public var maxUnavailable: FixedOrPercent?
        public var instanceRedistributionType: String?

        public init(type: String? = "PROACTIVE", minimalAction: String? = "REPLACE", replacementMethod: String? = "SUBSTITUTE",
                    maxSurge: FixedOrPercent? = nil, maxUnavailable: FixedOrPercent? = nil) {
            self.type = type
            self.minimalAction = minimalAction
            self.replacementMethod = replacementMethod
            self.maxSurge = maxSurge
            self.maxUnavailable = maxUnavailable
        }
    }

    /// Regional groups: the zones they spread over.
    public struct DistributionPolicy: Codable, Sendable, Equatable {
        public var zones: [Zone]?

        public init(zones: [String]) { self.zones = zones.map { Zone(zone: $0) } }

        public struct Zone: Codable, Sendable, Equatable {
            public var zone: String?
            public init(zone: String) { self.zone = zone }
        }
    }

    /// Output: whether the group has settled.
    public struct Status: Codable, Sendable, Equatable {
        public var isStable: Bool?
        public var versionTarget: VersionTarget?
        public var autoscaler: String?

        public struct VersionTarget: Codable, Sendable, Equatable {
            public var isReached: Bool?
        }
    }
}

/// `{"name": "http", "port": 8080}`.
public struct NamedPort: Codable, Sendable, Equatable {
    public var name: String
    public var port: Int

    public init(name: String, port: Int) {
        self.name = name
        self.port = port
    }
}
