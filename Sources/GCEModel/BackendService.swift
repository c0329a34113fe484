/// A global backend service: the instance groups a URL map sends traffic to.
public struct BackendService: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String?
    public var description: String?
    public var `protocol`: String?
    public var portName: String?
    public var timeoutSec: Int?
    public var loadBalancingScheme: String?
    public var healthChecks: [String]?
    public var connectionDraining: ConnectionDraining?
    public var backends: [Backend]?
    public var fingerprint: String?
    public var creationTimestamp: String?
    public var selfLink: String?

    /// An empty service, for PATCH bodies.
    public init() {}

    public init(name: String, protocol: String = "HTTP", portName: String, healthChecks: [String], backends: [Backend],
                loadBalancingScheme: String? = "EXTERNAL_MANAGED", timeoutSec: Int? = nil, drainingTimeoutSec: Int? = nil) {
        self.name = name
        self.protocol = `protocol`
        self.portName = portName
        self.healthChecks = healthChecks
        self.backends = backends
        self.loadBalancingScheme = loadBalancingScheme
        self.timeoutSec = timeoutSec
        self.connectionDraining = drainingTimeoutSec.map { ConnectionDraining(drainingTimeoutSec: $0) }
    }

    /// One backend: `group` is the fully qualified instance-group URL (the manager's `instanceGroup`).
    public struct Backend: Codable, Sendable, Equatable {
        public var group: String?
        public var balancingMode: String?
        public var maxUtilization: Double?
        public var capacityScaler: Double?

        public init(group: String, balancingMode: String? = "UTILIZATION", maxUtilization: Double? = nil,
                    capacityScaler: Double? = nil) {
            self.group = group
            self.balancingMode = balancingMode
            self.maxUtilization = maxUtilization
            self.capacityScaler = capacityScaler
        }
    }

    /// `{"drainingTimeoutSec": N}`.
    public struct ConnectionDraining: Codable, Sendable, Equatable {
        public var drainingTimeoutSec: Int?

        public init(drainingTimeoutSec: Int) { self.drainingTimeoutSec = drainingTimeoutSec }
    }
}

/// The answer of `backendServices.getHealth` for one group.
public struct BackendServiceGroupHealth: Codable, Sendable, Equatable {
    public var healthStatus: [HealthStatus]?

    /// One instance as the load balancer sees it: `healthState` `HEALTHY` or `UNHEALTHY`.
    public struct HealthStatus: Codable, Sendable, Equatable {
        public var instance: String?
        public var ipAddress: String?
        public var port: Int?
        public var healthState: String?
    }
}
