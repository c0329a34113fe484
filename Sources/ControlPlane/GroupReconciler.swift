import Foundation
import Logging
import Rollout
import Synchronization

/// Brings every managed instance group to its declared state and keeps it there: probes health,
/// asks the pure `RolloutPlanner` and `Autohealer` what to do, carries out their actions through
/// `InstanceRuntime`, and writes the group's `status` and `currentActions` back.
final class GroupReconciler: Sendable {
    let store: Store
    let groups: GroupService
    let instances: InstanceRuntime
    let logger: Logger
    /// Autohealing health per instance id.
    private let health = HealthMonitor()
    /// What the reconciler remembers between ticks.
    private struct Memory {
        var autohealers: [String: Autohealer] = [:]
        /// How long each instance has been HEALTHY, for `updatePolicy.minReadySec`.
        var readiness = MinReadyClock()
        /// Instances with a create/delete/recreate in flight, so a tick does not repeat it.
        var busy: Set<String> = []
    }
    private let memory = Mutex(Memory())

    let autoscalers: AutoscalerRuntime
    let loadBalancer: LoadBalancerRuntime
    /// Owns the deletions, creations and recreations this reconciler starts.
    let tasks: TaskOwner

    init(store: Store, groups: GroupService, instances: InstanceRuntime, autoscalers: AutoscalerRuntime,
         loadBalancer: LoadBalancerRuntime, tasks: TaskOwner, logger: Logger) {
        self.tasks = tasks
        self.store = store
        self.groups = groups
        self.instances = instances
        self.autoscalers = autoscalers
        self.loadBalancer = loadBalancer
        self.logger = logger
    }

    /// Runs until cancelled, a pass every 200 ms: each step of a rollout (create the surge
    /// instance, delete the old one once the new is ready) waits for the next pass, so the period
    /// adds up per instance (it was 500 ms: up to a second per instance of a rollout that should
    /// cost only its boot, health threshold and draining). A pass reads a few SQLite rows.
    func run() async {
        while !Task.isCancelled {
            autoscalers.tick(now: Date().timeIntervalSince1970)
            tick(now: Date().timeIntervalSince1970)
            loadBalancer.tick()
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    func tick(now: Double) {
        guard let all = try? store.listAll(like: "projects/%/instanceGroupManagers") else { return }
        var seen = Set<String>()
        for (collection, group) in all {
            let parts = collection.split(separator: "/").map(String.init)
            guard parts.count >= 5 else { continue }
            seen.formUnion(reconcile(group, project: parts[1], scope: "\(parts[2])/\(parts[3])", now: now))
        }
        memory.withLock { $0.readiness.forget(except: seen) }
    }

    // MARK: One group

    /// Returns the ids of the group's instances.
    @discardableResult
    func reconcile(_ group: JSONValue, project: String, scope: String, now: Double) -> Set<String> {
        guard let link = group["selfLink"]?.string, let name = group["name"]?.string else { return [] }
        let members = (try? groups.members(of: group)) ?? []
        let healthCheck = autohealingCheck(group, project: project)
        if let healthCheck { probe(members, check: healthCheck, group: group, now: now) }

        let zoneCount = groups.zones(of: group, scope: scope).count
        let (snapshot, changes) = memory.withLock { memory in
            GroupSnapshotTranslation.snapshot(group: group, members: members, zoneCount: zoneCount,
                                              health: { healthCheck == nil ? nil : self.health.state($0) },
                                              readiness: &memory.readiness, now: now)
        }
        for change in changes {
            let action = change.action.rawValue
            _ = try? store.mutate(InstanceRuntime.vmCollection, change.instanceID) { $0["currentAction"] = .string(action) }
        }
        let plan = RolloutPlanner.plan(snapshot)
        for action in plan.actions { perform(action, group: group, project: project, scope: scope) }

        // Autohealing: VMs that died are always repaired (with crash-loop backoff); with a health
        // check, unhealthy ones too once past initialDelaySec. They come back on their intended
        // template, which is how OPPORTUNISTIC updates reach repaired instances.
        let policy = group["autoHealingPolicies"]?.array?.first
        let autohealing = AutohealingPolicy(initialDelaySec: policy?["initialDelaySec"]?.number ?? 0)
        let decisions = memory.withLock { memory -> [AutohealAction] in
            var healer = memory.autohealers[link] ?? Autohealer()
            let out = healer.decide(instances: snapshot.instances, policy: autohealing, targetSize: snapshot.targetSize, now: now)
            memory.autohealers[link] = healer
            return out
        }
        for case .recreate(let instance, let reason) in decisions {
            guard let member = members.first(where: { $0.name == instance }) else { continue }
            let template = plan.intendedTemplates[instance] ?? member.vm["template"]?.string ?? ""
            logger.info("group \(name): recreating \(instance) (\(reason.rawValue))")
            perform(.recreate(instance: instance, template: template), group: group, project: project, scope: scope)
        }
        writeStatus(group, project: project, scope: scope, plan: plan)
        return Set(members.compactMap { $0.instance["id"]?.string })
    }

    func autohealingCheck(_ group: JSONValue, project: String) -> JSONValue? {
        guard let link = group["autoHealingPolicies"]?.array?.first?["healthCheck"]?.string,
              let ref = ResourceReference.parse(link, project: project, scope: "global", collection: "healthChecks") else { return nil }
        return try? store.get(ref.collectionPath, ref.name)
    }

    // MARK: Health

    func probe(_ members: [GroupService.Member], check: JSONValue, group: JSONValue, now: Double) {
        guard let spec = HealthCheckSpec(check, group: group) else { return }
        for member in members where member.instance.instanceStatus == .running {
            let id = member.instance["id"]?.string ?? ""
            guard let hostPort = member.vm["forwards"]?[String(spec.guestPort)]?.number else { continue }
            health.probeIfDue(id, spec: spec, hostPort: Int(hostPort), now: now) { [store] state in
                _ = try? store.mutate(InstanceRuntime.vmCollection, id) { $0["health"] = .string(state.rawValue) }
            }
        }
    }

    /// Guest ports a group's instances need forwarded: named ports, the autohealing check's port
    /// and the ports of the health checks of the backend services that serve the group.
    func guestPorts(_ group: JSONValue, project: String) -> [Int] {
        var ports = group["namedPorts"]?.array?.compactMap { $0["port"]?.number.map(Int.init) } ?? []
        if let check = autohealingCheck(group, project: project), let spec = HealthCheckSpec(check, group: group) {
            ports.append(spec.guestPort)
        }
        return ports + loadBalancer.serviceHealth.guestPorts(group, project: project)
    }

    // MARK: Actions

    func perform(_ action: RolloutAction, group: JSONValue, project: String, scope: String) {
        let zones = groups.zones(of: group, scope: scope)
        switch action {
        case .create(let template, let count):
            for i in 0..<count {
                let name = "\(group["baseInstanceName"]?.string ?? "vm")-\(Self.suffix())"
                let zone = zones[(Int.random(in: 0..<1000) + i) % max(1, zones.count)]
                create(name: name, zone: zone, template: template, group: group, project: project)
            }
        case .delete(let instance):
            guard let member = (try? groups.members(of: group))?.first(where: { $0.name == instance }) else { return }
            guard claim(member.instance["id"]?.string ?? instance) else { return }
            _ = try? store.mutate(InstanceRuntime.vmCollection, member.instance["id"]?.string ?? "") { $0["currentAction"] = "DELETING" }
            let drain = drainDelay(group, project: project)
            tasks.spawn { [self] in
                // Leave the load balancer first (its next pass drops DELETING members), let
                // in-flight requests finish for the backend services' draining timeout, then delete.
                try? await Task.sleep(for: .milliseconds(Int(drain * 1000)))
                defer { release(member.instance["id"]?.string ?? instance) }
                guard !Task.isCancelled else { return } // the plane is stopping: the next start reconciles
                _ = try? await instances.delete(project: project, zone: member.zone, name: instance, requestId: nil)
            }
        case .recreate(let instance, let template):
            guard let member = (try? groups.members(of: group))?.first(where: { $0.name == instance }) else { return }
            let id = member.instance["id"]?.string ?? instance
            guard claim(id) else { return }
            _ = try? store.mutate(InstanceRuntime.vmCollection, id) { $0["currentAction"] = "RECREATING" }
            let drain = member.instance.instanceStatus == .running ? drainDelay(group, project: project) : 0
            tasks.spawn { [self] in
                defer { release(id) }
                try? await Task.sleep(for: .milliseconds(Int(drain * 1000)))
                guard !Task.isCancelled else { return }
                // Woken by the deletion's operation finishing, not by polling the store.
                if let op = try? await instances.delete(project: project, zone: member.zone, name: instance, requestId: nil),
                   let name = op["name"]?.string {
                    _ = try? await instances.operations.wait(Operations.collection(project: project, scope: "zones/\(member.zone)"),
                                                             name, seconds: 30)
                }
                guard !Task.isCancelled else { return }
                create(name: instance, zone: member.zone, template: template, group: group, project: project)
            }
        }
    }

    func create(name: String, zone: String, template: String, group: JSONValue, project: String) {
        guard let ref = ResourceReference.parse(template, project: project, scope: "global", collection: "instanceTemplates"),
              let templateBody = try? store.get(ref.collectionPath, ref.name) else {
            logger.warning("group \(group["name"]?.string ?? ""): template \(template) is gone; cannot create \(name)")
            return
        }
        var body = DiskRules.instanceBody(fromTemplateProperties: templateBody["properties"] ?? [:], zone: zone)
        body["name"] = .string(name)
        let versionName = (group["versions"]?.array ?? []).first { $0["instanceTemplate"]?.string == template }?["name"]?.string ?? ""
        let membership = InstanceRuntime.Membership(group: group["selfLink"]?.string ?? "", template: template, versionName: versionName,
                                                    guestPorts: guestPorts(group, project: project))
        let instanceBody = body
        tasks.spawn { [self] in
            guard !Task.isCancelled else { return }
            do {
                _ = try await instances.insert(instanceBody, project: project, zone: zone, requestId: nil, membership: membership)
            } catch {
                logger.warning("group \(group["name"]?.string ?? ""): cannot create \(name): \(error)")
            }
        }
    }

    /// Seconds to wait between leaving the load balancer and deleting: the balancer's pass (it runs
    /// right after this reconciler's, every 200 ms, so 0.5 s covers two of them) plus the
    /// connection-draining timeout of the backend services that serve this group. (It was a whole
    /// second: after the unikernel's faster boot, that margin was the largest cost per instance
    /// of a rollout beyond its floor.)
    func drainDelay(_ group: JSONValue, project: String) -> Double {
        0.5 + loadBalancer.drainingTimeout(instanceGroup: group["instanceGroup"]?.string ?? "", project: project)
    }

    func claim(_ id: String) -> Bool { memory.withLock { $0.busy.insert(id).inserted } }
    func release(_ id: String) { memory.withLock { _ = $0.busy.remove(id) } }

    static func suffix() -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<4).map { _ in letters[Int.random(in: 0..<letters.count)] })
    }

    // MARK: Status

    func writeStatus(_ group: JSONValue, project: String, scope: String, plan: RolloutPlan) {
        let a = plan.currentActions
        let actions: JSONValue = ["none": .number(Double(a.none)), "creating": .number(Double(a.creating)),
                                  "creatingWithoutRetries": .number(Double(a.creatingWithoutRetries)), "deleting": .number(Double(a.deleting)),
                                  "recreating": .number(Double(a.recreating)), "refreshing": .number(Double(a.refreshing)),
                                  "restarting": .number(Double(a.restarting)), "verifying": .number(Double(a.verifying)),
                                  "abandoning": .number(Double(a.abandoning)), "resuming": .number(Double(a.resuming)),
                                  "starting": .number(Double(a.starting)), "stopping": .number(Double(a.stopping)),
                                  "suspending": .number(Double(a.suspending))]
        let stable = plan.status.isStable && plan.actions.isEmpty
        let reached = plan.status.versionTargetReached
        guard group["status"]?["isStable"]?.bool != stable || group["status"]?["versionTarget"]?["isReached"]?.bool != reached
                || group["currentActions"] != actions, let name = group["name"]?.string else { return }
        _ = try? store.mutate("projects/\(project)/\(scope)/instanceGroupManagers", name) { g in
            var status = g["status"] ?? [:]
            status["isStable"] = .bool(stable)
            status["versionTarget"] = ["isReached": .bool(reached)]
            g["status"] = status
            g["currentActions"] = actions
        }
    }
}
