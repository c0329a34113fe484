import Foundation
import LoadBalancer
import Logging

/// The external HTTP load balancer chain: each global forwarding rule opens a real listener (a
/// `ReverseProxy`), whose backends are the RUNNING and HEALTHY instances of the groups behind
/// forwarding rule → target HTTP proxy → URL map → default backend service, on the host port
/// forwarded to the backend service's named port. Kept in step with the groups every half second.
final class LoadBalancerRuntime: @unchecked Sendable {
    let store: Store
    let groups: GroupService
    let logger: Logger
    private let lock = NSLock()
    /// Open listeners by forwarding rule selfLink.
    private var proxies: [String: ReverseProxy] = [:]

    init(store: Store, groups: GroupService, logger: Logger) {
        self.store = store
        self.groups = groups
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
        guard let link = rule["selfLink"]?.string, lock.withLock({ proxies[link] == nil }) else { return }
        let (host, port) = Self.address(of: rule)
        let proxy = ReverseProxy(configuration: ProxyConfiguration(host: host, port: port))
        do {
            _ = try await proxy.start()
        } catch {
            throw APIError(400, "invalid", "Cannot listen on \(host):\(port) for forwarding rule \(rule["name"]?.string ?? ""): \(error). Choose another IPAddress or portRange.")
        }
        lock.withLock { proxies[link] = proxy }
        logger.info("load balancer listening on http://\(host):\(port) (\(rule["name"]?.string ?? ""))")
    }

    func close(_ link: String) async {
        guard let proxy = lock.withLock({ proxies.removeValue(forKey: link) }) else { return }
        try? await proxy.stop(gracePeriod: .seconds(5))
    }

    /// Reopens the listeners of stored forwarding rules (after a restart of the plane).
    func restore() async {
        for (_, rule) in (try? store.listAll(like: "projects/%/global/forwardingRules")) ?? [] {
            do { try await open(rule) } catch { logger.warning("\(error)") }
        }
    }

    func stopAll() async {
        let all = lock.withLock { () -> [ReverseProxy] in
            defer { proxies = [:] }
            return Array(proxies.values)
        }
        for proxy in all { try? await proxy.stop(gracePeriod: .seconds(5)) }
    }

    /// Points every listener at the instances that may serve now.
    func tick() {
        let open = lock.withLock { proxies }
        for (link, proxy) in open {
            guard let rule = resolve(link) else { proxy.setBackends([]); continue }
            proxy.setBackends(backends(for: rule))
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

    /// The default backend service's healthy instances, on their forwarded ports.
    func backends(for rule: JSONValue) -> [Backend] {
        let project = projectOf(rule)
        guard let proxy = get(rule["target"]?.string, "targetHttpProxies", project: project),
              let urlMap = get(proxy["urlMap"]?.string, "urlMaps", project: project),
              let service = get(urlMap["defaultService"]?.string, "backendServices", project: project) else { return [] }
        return healthyBackends(of: service, project: project).map { Backend(id: $0.name, port: $0.port) }
    }

    func projectOf(_ resource: JSONValue) -> String {
        guard let link = resource["selfLink"]?.string, let r = link.range(of: "/projects/") else { return "" }
        return String(link[r.upperBound...].split(separator: "/").first ?? "")
    }

    /// Members of a backend service's groups that are RUNNING and (where a health check applies)
    /// HEALTHY and not being deleted, with the host port of the service's named port.
    func healthyBackends(of service: JSONValue, project: String) -> [(name: String, port: Int)] {
        let portName = service["portName"]?.string ?? "http"
        var out: [(name: String, port: Int)] = []
        for backend in service["backends"]?.array ?? [] {
            guard let groupLink = backend["group"]?.string, let manager = managerOf(instanceGroup: groupLink, project: project) else { continue }
            guard let guestPort = manager["namedPorts"]?.array?.first(where: { $0["name"]?.string == portName })?["port"]?.number else { continue }
            for member in (try? groups.members(of: manager)) ?? [] {
                guard let hostPort = member.vm["forwards"]?[String(Int(guestPort))]?.number else { continue }
                if Self.isServing(member) { out.append((member.name, Int(hostPort))) }
            }
        }
        return out
    }

    /// `backendServices.getHealth`: every instance of `group` with its health.
    func health(of service: JSONValue, group: String, project: String) -> JSONValue {
        let portName = service["portName"]?.string ?? "http"
        guard let manager = managerOf(instanceGroup: group, project: project) else { return ["kind": "compute#backendServiceGroupHealth"] }
        let port = manager["namedPorts"]?.array?.first(where: { $0["name"]?.string == portName })?["port"]?.number ?? 80
        let statuses: [JSONValue] = ((try? groups.members(of: manager)) ?? []).map { member in
            let running = member.instance["status"]?.string == "RUNNING"
            let verifying = ["CREATING", "VERIFYING"].contains(member.vm["currentAction"]?.string ?? "")
            let state = running && (member.vm["health"]?.string ?? (verifying ? "UNKNOWN" : "HEALTHY")) == "HEALTHY" ? "HEALTHY" : "UNHEALTHY"
            return ["instance": member.instance["selfLink"] ?? "", "ipAddress": "10.0.2.15", "port": .number(port),
                    "healthState": .string(state)]
        }
        return ["kind": "compute#backendServiceGroupHealth", "healthStatus": .array(statuses)]
    }

    /// The manager behind an instance group URL (they share name and scope).
    func managerOf(instanceGroup link: String, project: String) -> JSONValue? {
        guard let ref = ResourceReference.parse(link, project: project, scope: "global", collection: "instanceGroups"),
              ref.scope != "global" else { return nil }
        return try? store.get("projects/\(ref.project)/\(ref.scope)/instanceGroupManagers", ref.name)
    }

    /// The longest connection-draining timeout of the backend services that serve `instanceGroup`.
    func drainingTimeout(instanceGroup: String, project: String) -> Double {
        groups.backendServices(serving: instanceGroup, project: project)
            .map { $0["connectionDraining"]?["drainingTimeoutSec"]?.number ?? 0 }.max() ?? 0
    }

    /// RUNNING, HEALTHY where a health check applies, verified, and not leaving the group. A new
    /// instance stays CREATING, then VERIFYING until its health check first passes: until then it
    /// gets no traffic (its guest may not listen yet, and a request to it would hang).
    static func isServing(_ member: GroupService.Member) -> Bool {
        member.instance["status"]?.string == "RUNNING"
            && (member.vm["health"]?.string ?? "HEALTHY") == "HEALTHY"
            && !["CREATING", "VERIFYING", "DELETING", "RECREATING"].contains(member.vm["currentAction"]?.string ?? "")
    }
}
