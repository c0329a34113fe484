import Foundation
import Rollout
import Synchronization

/// What a `healthChecks` resource probes on the instances of one group, and how often.
struct HealthCheckSpec: Equatable {
    var policy: HealthCheckPolicy
    /// The guest port: the check's `port`, its `portName` among the group's named ports, or with
    /// `portSpecification: USE_SERVING_PORT` the backend service's serving port.
    var guestPort: Int
    /// HTTP/HTTP2 (a GET that must answer 200); otherwise a TCP connect that the guest answers.
    var http: Bool
    var path: String
    var host: String?

    /// Nil when the check's type is unknown or its port cannot be found.
    init?(_ check: JSONValue, group: JSONValue, servingPort: Int? = nil) {
        let type = check["type"]?.string ?? "TCP"
        guard let field = ResourceValidation.healthCheckTypes[type] else { return nil }
        let spec = check[field] ?? [:]
        var port = spec["port"]?.number.map(Int.init)
        if let portName = spec["portName"]?.string {
            port = group["namedPorts"]?.array?.first { $0["name"]?.string == portName }?["port"]?.number.map(Int.init)
        }
        if spec["portSpecification"]?.string == "USE_SERVING_PORT", let servingPort { port = servingPort }
        guard let port else { return nil }
        policy = HealthCheckPolicy(checkIntervalSec: check["checkIntervalSec"]?.number ?? 5, timeoutSec: check["timeoutSec"]?.number ?? 5,
                                   healthyThreshold: Int(check["healthyThreshold"]?.number ?? 2),
                                   unhealthyThreshold: Int(check["unhealthyThreshold"]?.number ?? 2))
        guestPort = port
        http = ["HTTP", "HTTP2"].contains(type)
        path = spec["requestPath"]?.string ?? "/"
        host = spec["host"]?.string
    }
}

/// Runs health probes (`HealthProber`) and keeps one `HealthTracker` per subject, a key the
/// caller chooses (an instance for autohealing; a backend service, check and instance for the
/// load balancer). A subject is probed when its check's interval has passed, never twice at once;
/// probes block, so they run detached from the caller.
final class HealthMonitor: Sendable {
    private struct Subjects {
        var trackers: [String: HealthTracker] = [:]
        var probing: Set<String> = []
    }
    private let subjects = Mutex(Subjects())

    /// The verdict on `key`: `.unknown` until a threshold is first reached.
    func state(_ key: String) -> HealthState {
        subjects.withLock { $0.trackers[key]?.state ?? .unknown }
    }

    /// Starts a probe of `key` on the host's loopback `hostPort` if one is due, and calls
    /// `recorded` with the verdict once its result is in. With no `hostPort` (the check's port is
    /// not forwarded to the guest) the probe fails without connecting.
    func probeIfDue(_ key: String, spec: HealthCheckSpec, hostPort: Int?, now: Double,
                    recorded: @escaping @Sendable (HealthState) -> Void = { _ in }) {
        let due = subjects.withLock { subjects -> Bool in
            var tracker = subjects.trackers[key] ?? HealthTracker(policy: spec.policy)
            tracker.policy = spec.policy
            subjects.trackers[key] = tracker
            guard !subjects.probing.contains(key), now - (tracker.lastProbeAt ?? 0) >= spec.policy.checkIntervalSec else { return false }
            subjects.probing.insert(key)
            return true
        }
        guard due else { return }
        let target = hostPort.map {
            HealthProber.Target(port: $0, http: spec.http, path: spec.path, host: spec.host, timeout: spec.policy.timeoutSec)
        }
        runBlocking { [self] in
            let ok = target.map(HealthProber.probe) ?? false
            let state = subjects.withLock { subjects -> HealthState in
                subjects.probing.remove(key)
                subjects.trackers[key]?.record(success: ok, at: Date().timeIntervalSince1970)
                return subjects.trackers[key]?.state ?? .unknown
            }
            recorded(state)
        }
    }

    /// Forgets every subject not in `keys` (instances gone, checks no longer used).
    func forget(except keys: Set<String>) {
        subjects.withLock { subjects in
            subjects.trackers = subjects.trackers.filter { keys.contains($0.key) || subjects.probing.contains($0.key) }
        }
    }
}
