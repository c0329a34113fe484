/// The timing and thresholds of a health check (GCE's `HealthCheck` fields, with GCE's defaults).
public struct HealthCheckPolicy: Sendable, Equatable {
    /// Seconds between two probes of one instance. GCE default 5.
    public var checkIntervalSec: Double
    /// Seconds a probe may take; a probe that has no answer by then counts as a failure. GCE default 5.
    public var timeoutSec: Double
    /// Consecutive successes that make an instance healthy. GCE default 2.
    public var healthyThreshold: Int
    /// Consecutive failures that make an instance unhealthy. GCE default 2.
    public var unhealthyThreshold: Int

    public init(checkIntervalSec: Double = 5, timeoutSec: Double = 5, healthyThreshold: Int = 2, unhealthyThreshold: Int = 2) {
        self.checkIntervalSec = checkIntervalSec
        self.timeoutSec = timeoutSec
        self.healthyThreshold = healthyThreshold
        self.unhealthyThreshold = unhealthyThreshold
    }

    /// The reasons GCE would reject these values; empty when they are acceptable.
    public func validate() -> [PolicyViolation] {
        var problems: [PolicyViolation] = []
        if checkIntervalSec <= 0 {
            problems.append(.outOfRange(field: "checkIntervalSec", reason: "must be greater than 0"))
        }
        if timeoutSec <= 0 {
            problems.append(.outOfRange(field: "timeoutSec", reason: "must be greater than 0"))
        } else if timeoutSec > checkIntervalSec {
            problems.append(.outOfRange(field: "timeoutSec", reason: "must not be greater than checkIntervalSec"))
        }
        if healthyThreshold < 1 {
            problems.append(.outOfRange(field: "healthyThreshold", reason: "must be at least 1"))
        }
        if unhealthyThreshold < 1 {
            problems.append(.outOfRange(field: "unhealthyThreshold", reason: "must be at least 1"))
        }
        return problems
    }
}
