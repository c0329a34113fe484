/// A global health check (`global/healthChecks`), used by autohealing and backend services.
public struct HealthCheck: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String
    public var description: String?
    /// `HTTP`, `TCP`, ...; the matching protocol field must be set.
    public var type: String?
    public var httpHealthCheck: HTTPHealthCheck?
    public var checkIntervalSec: Int?
    public var timeoutSec: Int?
    public var healthyThreshold: Int?
    public var unhealthyThreshold: Int?
    public var creationTimestamp: String?
    public var selfLink: String?

    public init(name: String, http: HTTPHealthCheck, checkIntervalSec: Int? = nil, timeoutSec: Int? = nil,
                healthyThreshold: Int? = nil, unhealthyThreshold: Int? = nil) {
        self.name = name
        self.type = "HTTP"
        self.httpHealthCheck = http
        self.checkIntervalSec = checkIntervalSec
        self.timeoutSec = timeoutSec
        self.healthyThreshold = healthyThreshold
        self.unhealthyThreshold = unhealthyThreshold
    }

    /// `HealthCheck.httpHealthCheck`.
    public struct HTTPHealthCheck: Codable, Sendable, Equatable {
        public var port: Int?
        public var requestPath: String?
        public var host: String?
        public var portSpecification: String?

        public init(port: Int? = nil, requestPath: String? = nil) {
            self.port = port
            self.requestPath = requestPath
        }
    }
}
