/// An autoscaler (zonal or regional `autoscalers`) whose `target` is a managed group's URL.
public struct Autoscaler: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String?
    public var description: String?
    public var target: String?
    public var autoscalingPolicy: Policy?
    /// Output: `PENDING`, `ACTIVE`, `ERROR`, `DELETING`.
    public var status: String?
    public var recommendedSize: Int?
    public var zone: String?
    public var region: String?
    public var creationTimestamp: String?
    public var selfLink: String?

    /// An empty autoscaler, for PATCH bodies.
    public init() {}

    public init(name: String, target: String, autoscalingPolicy: Policy) {
        self.name = name
        self.target = target
        self.autoscalingPolicy = autoscalingPolicy
    }

    /// `Autoscaler.autoscalingPolicy`.
    public struct Policy: Codable, Sendable, Equatable {
        public var minNumReplicas: Int?
        public var maxNumReplicas: Int?
        public var coolDownPeriodSec: Int?
        public var cpuUtilization: CPUUtilization?
        /// `ON`, `OFF`, `ONLY_SCALE_OUT`.
        public var mode: String?

        public init(minNumReplicas: Int? = nil, maxNumReplicas: Int? = nil, coolDownPeriodSec: Int? = nil,
                    cpuUtilization: CPUUtilization? = nil, mode: String? = nil) {
            self.minNumReplicas = minNumReplicas
            self.maxNumReplicas = maxNumReplicas
            self.coolDownPeriodSec = coolDownPeriodSec
            self.cpuUtilization = cpuUtilization
            self.mode = mode
        }
    }

    /// `{"utilizationTarget": 0.6}`.
    public struct CPUUtilization: Codable, Sendable, Equatable {
        public var utilizationTarget: Double?

        public init(utilizationTarget: Double) { self.utilizationTarget = utilizationTarget }
    }
}
