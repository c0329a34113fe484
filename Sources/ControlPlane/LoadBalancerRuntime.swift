import Foundation
import LoadBalancer
import Logging
import Synchronization

/// The external HTTP load balancer chain: each global forwarding rule opens a real listener (a
/// `ReverseProxy`) routing by forwarding rule → target HTTP proxy → URL map (host rules and path
/// matchers, `URLMapRules`) → backend service, whose backends are the serving instances of its
/// groups on the host port forwarded to the service's named port. Kept in step with the groups
/// and the backend services' health checks every half second.
final class LoadBalancerRuntime: Sendable {
    let store: Store
    let groups: GroupService
    let serviceHealth: BackendServiceHealth
    let logger: Logger
    /// Open listeners by forwarding rule selfLink.
    private let proxies = Mutex<[String: ReverseProxy]>([:])

    init(store: Store, groups: GroupService, logger: Logger) {
        self.store = store
        self.groups = groups
        self.serviceHealth = BackendServiceHealth(store: store, groups: groups)
        self.logger = logger
    }

    /// `IPAddress` and `portRange` of a rule: loopback and 80 unless the rule says otherwise.
    static func address(of rule: JSONValue) -> (host: String, port: Int) {
        let host = rule["IPAddress"]?.string ?? "127.0.0.1"
        let range = rule["portRange"]?.string ?? "80"
        return (host, Int(range.split(separator: "-").first ?? "80") ?? 80)
    }

    /// Opens the rule's listener; throws GCE's error if the address cannot be used.
    func open(_ rule: JSONValue) async throws {
        guard let link = rule["selfLink"]?.string, proxies.withLock({ $0[link] == nil }) else { return }
        let (host, port) = Self.address(of: rule)
        let proxy = ReverseProxy(configuration: ProxyConfiguration(host: host, port: port))
        do {
            _ = try await proxy.start()
        } catch {
            throw APIError(400, "invalid", "Cannot listen on \(host):\(port) for forwarding rule \(rule["name"]?.string ?? ""): \(error). Choose another IPAddress or portRange.")
        }
        proxies.withLock { $0[link] = proxy }
        logger.info("load balancer listening on http://\(host):\(port) (\(rule["name"]?.string ?? ""))")
    }

    func close(_ link: String) async {
        guard let proxy = proxies.withLock({ $0.removeValue(forKey: link) }) else { return }
        try? await proxy.stop(gracePeriod: .seconds(5))
    }

    /// Reopens the listeners of stored forwarding rules (after a restart of the plane).
    func restore() async {
        for (_, rule) in (try? store.listAll(like: "projects/%/global/forwardingRules")) ?? [] {
            do { try await open(rule) } catch { logger.warning("\(error)") }
        }
    }

    func stopAll() async {
        let all = proxies.withLock { proxies -> [ReverseProxy] in
            defer { proxies = [:] }
            return Array(proxies.values)
        }
        for proxy in all { try? await proxy.stop(gracePeriod: .seconds(5)) }
    }

    /// Probes the backend services' health checks that are due, and points every listener at the
    /// routes of its URL map and the instances that may serve now.
    func tick(now: Double = Date().timeIntervalSince1970) {
        serviceHealth.tick(now: now)
        let open = proxies.withLock { $0 }
        for (link, proxy) in open {
            let (table, backends) = resolve(link).map(routes(for:)) ?? (RouteTable(defaultService: nil), [:])
            proxy.setRoutes(table, backends: backends)
        }
    }

    func resolve(_ ruleLink: String) -> JSONValue? {
        guard let ref = ResourceReference.parse(ruleLink, project: "", scope: "global", collection: "forwardingRules") else { return nil }
        return try? store.get(ref.collectionPath, ref.name)
    }

    func get(_ link: String?, _ collection: String, project: String) -> JSONValue? {
        guard let link, let ref = ResourceReference.parse(link, project: project, scope: "global", collection: collection) else { return nil }
        return try? store.get(ref.collectionPath, ref.name)
    }

    /// The routes of the rule's URL map, and the serving instances of each backend service it
    /// names (by service URL), on their forwarded ports.
    func routes(for rule: JSONValue) -> (RouteTable, [String: [Backend]]) {
        let project = projectOf(rule)
        guard let proxy = get(rule["target"]?.string, "targetHttpProxies", project: project),
              let urlMap = get(proxy["urlMap"]?.string, "urlMaps", project: project) else { return (RouteTable(defaultService: nil), [:]) }
        let table = URLMapRules.routeTable(urlMap)
        var backends: [String: [Backend]] = [:]
        for link in table.services {
            guard let service = get(link, "backendServices", project: project) else { continue }
            backends[link] = healthyBackends(of: service, project: project).map { Backend(id: $0.name, port: $0.port) }
        }
        return (table, backends)
    }

    func projectOf(_ resource: JSONValue) -> String {
        guard let link = resource["selfLink"]?.string, let r = link.range(of: "/projects/") else { return "" }
        return String(link[r.upperBound...].split(separator: "/").first ?? "")
    }

    /// Members of a backend service's groups that serve (see `isServing`), with the host port of
    /// the service's named port.
    func healthyBackends(of service: JSONValue, project: String) -> [(name: String, port: Int)] {
        var out: [(name: String, port: Int)] = []
        for (manager, members) in groups.backendGroups(of: service, project: project) {
            guard let guestPort = GroupService.servingPort(of: service, in: manager) else { continue }
            for member in members {
                guard let hostPort = member.vm["forwards"]?[String(guestPort)]?.number else { continue }
                if isServing(member, for: service, project: project) { out.append((member.name, Int(hostPort))) }
            }
        }
        return out
    }

    /// `backendServices.getHealth`: every instance of `group` with its health for `service`.
    func health(of service: JSONValue, group: String, project: String) -> JSONValue {
        guard let manager = groups.managerOf(instanceGroup: group, project: project) else { return ["kind": "compute#backendServiceGroupHealth"] }
        let port = GroupService.servingPort(of: service, in: manager) ?? 80
        let statuses: [JSONValue] = ((try? groups.members(of: manager)) ?? []).map { member in
            let state = isHealthy(member, for: service, project: project) ? "HEALTHY" : "UNHEALTHY"
            return ["instance": member.instance["selfLink"] ?? "", "ipAddress": "10.0.2.15", "port": .number(Double(port)),
                    "healthState": .string(state)]
        }
        return ["kind": "compute#backendServiceGroupHealth", "healthStatus": .array(statuses)]
    }

    /// The longest connection-draining timeout of the backend services that serve `instanceGroup`.
    func drainingTimeout(instanceGroup: String, project: String) -> Double {
        groups.backendServices(serving: instanceGroup, project: project)
            .map { $0["connectionDraining"]?["drainingTimeoutSec"]?.number ?? 0 }.max() ?? 0
    }

    /// RUNNING and HEALTHY for `service`: by the service's own health checks when it has any
    /// (whatever the group's autohealing check says), else by the group's health check where one
    /// applies. In that fallback a new instance is not healthy while it is CREATING or VERIFYING
    /// (until the group's check first passes): its guest may not listen yet, and a request sent
    /// to it would hang until the backend timeout.
    func isHealthy(_ member: GroupService.Member, for service: JSONValue, project: String) -> Bool {
        guard member.instance.instanceStatus == .running else { return false }
        // The service's own checks decide once they have a verdict. Until then (a new instance, whose
        // probe series has not reached a threshold yet) the group's verdict stands in: otherwise a
        // rollout that removed the old instance as soon as the group found the new one healthy would
        // leave the service with no backend for up to a probe interval.
        if let state = serviceHealth.state(of: service, member: member, project: project), state != .unknown {
            return state == .healthy
        }
        if ["CREATING", "VERIFYING"].contains(member.vm["currentAction"]?.string ?? "") { return false }
        return (member.vm["health"]?.string ?? "HEALTHY") == "HEALTHY"
    }

    /// Healthy for `service` and not leaving the group.
    func isServing(_ member: GroupService.Member, for service: JSONValue, project: String) -> Bool {
        isHealthy(member, for: service, project: project)
            && !["DELETING", "RECREATING"].contains(member.vm["currentAction"]?.string ?? "")
    }
}
