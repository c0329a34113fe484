import Rollout

/// `service.health`: the HTTP health check that gates rollouts and drives autohealing.
/// Defaults are GCE's, except `initial-delay` (GCE: 300 s, made for VMs that boot in minutes).
public struct HealthSettings: Sendable, Equatable {
    /// `path`: the HTTP path probed; default `/`.
    public var path: ConfigString
    /// `interval`: seconds between probes, 1–300; default 5.
    public var intervalSeconds: Int
    /// `timeout`: seconds a probe may take, 1–300 and at most `interval`; default 5.
    public var timeoutSeconds: Int
    /// `healthy`: consecutive successes that make an instance healthy, 1–10; default 2.
    public var healthyThreshold: Int
    /// `unhealthy`: consecutive failures that make it unhealthy, 1–10; default 2.
    public var unhealthyThreshold: Int
    /// `initial-delay`: seconds after an instance starts before autohealing may replace it, 0–3600; default 30.
    public var initialDelaySeconds: Int

    public init(path: ConfigString = "/", intervalSeconds: Int = 5, timeoutSeconds: Int = 5, healthyThreshold: Int = 2,
                unhealthyThreshold: Int = 2, initialDelaySeconds: Int = 30) {
        self.path = path
        self.intervalSeconds = intervalSeconds
        self.timeoutSeconds = timeoutSeconds
        self.healthyThreshold = healthyThreshold
        self.unhealthyThreshold = unhealthyThreshold
        self.initialDelaySeconds = initialDelaySeconds
    }

    /// The same timing as the rollout logic's policy.
    public var policy: HealthCheckPolicy {
        HealthCheckPolicy(checkIntervalSec: Double(intervalSeconds), timeoutSec: Double(timeoutSeconds),
                          healthyThreshold: healthyThreshold, unhealthyThreshold: unhealthyThreshold)
    }

    init(_ node: ConfigNode) throws {
        let map = try node.mapping(["path", "interval", "timeout", "healthy", "unhealthy", "initial-delay"])
        let defaults = HealthSettings()
        path = try map["path"].optional { try $0.string(matching: .httpPath, what: "an HTTP path starting with \"/\"") } ?? defaults.path
        intervalSeconds = try map["interval"].optional { try $0.seconds(1...300) } ?? defaults.intervalSeconds
        timeoutSeconds = try map["timeout"].optional { try $0.seconds(1...300) } ?? defaults.timeoutSeconds
        healthyThreshold = try map["healthy"].optional { try $0.int(1...10) } ?? defaults.healthyThreshold
        unhealthyThreshold = try map["unhealthy"].optional { try $0.int(1...10) } ?? defaults.unhealthyThreshold
        initialDelaySeconds = try map["initial-delay"].optional { try $0.seconds(0...3600) } ?? defaults.initialDelaySeconds
        if policy.validate().contains(where: { if case .outOfRange("timeoutSec", _) = $0 { true } else { false } }) {
            let place = map["timeout"].isPresent ? map["timeout"] : map["interval"]
            throw place.error("timeout (\(Units.durationText(timeoutSeconds))) is longer than interval (\(Units.durationText(intervalSeconds))); GCE requires timeout <= interval")
        }
    }
}
