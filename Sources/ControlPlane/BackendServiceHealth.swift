import Foundation
import Rollout

/// The health of each member of a backend service's groups by the service's own `healthChecks`,
/// as GCE's load balancer judges it, independently of the groups' autohealing check.
///
/// Every check of every backend service is probed against every RUNNING member, on the host port
/// forwarded to the check's guest port (`USE_SERVING_PORT`: the service's named port), with the
/// check's interval and thresholds. A member is HEALTHY for the service once every check has
/// reached its healthy threshold; until the first verdict it is not (GCE's UNKNOWN, reported as
/// UNHEALTHY). A check whose port was not forwarded when the instance was created (a backend
/// service added later, checking another port) fails until the instance is recreated. State is
/// kept in memory: after a restart of the plane the members are probed afresh.
final class BackendServiceHealth: Sendable {
    let store: Store
    let groups: GroupService
    private let monitor = HealthMonitor()

    init(store: Store, groups: GroupService) {
        self.store = store
        self.groups = groups
    }

    /// The health checks `service` names (resources that still exist).
    func checks(of service: JSONValue, project: String) -> [(link: String, check: JSONValue)] {
        (service["healthChecks"]?.array ?? []).compactMap { value in
            guard let link = value.string,
                  let ref = ResourceReference.parse(link, project: project, scope: "global", collection: "healthChecks"),
                  let check = try? store.get(ref.collectionPath, ref.name) else { return nil }
            return (link, check)
        }
    }

    /// `service`'s verdict on `member`: nil when the service has no health checks (the caller
    /// falls back to the group's health).
    func state(of service: JSONValue, member: GroupService.Member, project: String) -> HealthState? {
        let serviceChecks = checks(of: service, project: project)
        guard !serviceChecks.isEmpty else { return nil }
        let states = serviceChecks.map { monitor.state(Self.key(service, $0.link, member)) }
        if states.allSatisfy({ $0 == .healthy }) { return .healthy }
        return states.contains(.unhealthy) ? .unhealthy : .unknown
    }

    /// Starts the probes that are due, for every backend service, and forgets the health of
    /// members, checks and services that are gone.
    func tick(now: Double) {
        var live = Set<String>()
        for (collection, service) in (try? store.listAll(like: "projects/%/global/backendServices")) ?? [] {
            let project = collection.split(separator: "/").dropFirst().first.map(String.init) ?? ""
            let serviceChecks = checks(of: service, project: project)
            guard !serviceChecks.isEmpty else { continue }
            for (manager, members) in groups.backendGroups(of: service, project: project) {
                let servingPort = GroupService.servingPort(of: service, in: manager)
                for (link, check) in serviceChecks {
                    guard let spec = HealthCheckSpec(check, group: manager, servingPort: servingPort) else { continue }
                    for member in members where member.instance.instanceStatus == .running {
                        let key = Self.key(service, link, member)
                        live.insert(key)
                        let hostPort = member.vm["forwards"]?[String(spec.guestPort)]?.number.map(Int.init)
                        monitor.probeIfDue(key, spec: spec, hostPort: hostPort, now: now)
                    }
                }
            }
        }
        monitor.forget(except: live)
    }

    /// Guest ports the instances of `group` need forwarded for the checks of the backend services
    /// that serve it.
    func guestPorts(_ group: JSONValue, project: String) -> [Int] {
        groups.backendServices(serving: group["instanceGroup"]?.string ?? "", project: project).flatMap { service in
            checks(of: service, project: project).compactMap {
                HealthCheckSpec($0.check, group: group, servingPort: GroupService.servingPort(of: service, in: group))?.guestPort
            }
        }
    }

    /// One subject of the monitor: a service, one of its checks, and an instance (by id, so a
    /// recreated instance starts afresh).
    static func key(_ service: JSONValue, _ check: String, _ member: GroupService.Member) -> String {
        "\(service["selfLink"]?.string ?? "") \(check) \(member.instance["id"]?.string ?? member.name)"
    }
}
