import Foundation
import Logging
import Rollout
import Synchronization

/// Autoscalers (zonal and regional): measures each instance's CPU from its QEMU process (CPU time
/// over wall time, per vCPU), asks the pure `Autoscaler` for a size, and resizes the target group.
final class AutoscalerRuntime: Sendable {
    let store: Store
    let groups: GroupService
    let stabilizationSec: Double
    let logger: Logger
    private struct Memory {
        var deciders: [String: Autoscaler] = [:]
        /// Last CPU sample per QEMU pid: (CPU seconds, wall seconds), and the utilisation it gave.
        var samples: [Int32: (cpu: Double, wall: Double, utilization: Double?)] = [:]
    }
    private let memory = Mutex(Memory())

    init(store: Store, groups: GroupService, stabilizationSec: Double, logger: Logger) {
        self.store = store
        self.groups = groups
        self.stabilizationSec = stabilizationSec
        self.logger = logger
    }

    static func policy(_ body: JSONValue, stabilization: Double) -> AutoscalerPolicy {
        let p = body["autoscalingPolicy"] ?? [:]
        var control: AutoscalerPolicy.ScaleInControl?
        if let sic = p["scaleInControl"], let max = GroupSnapshotTranslation.fixedOrPercent(sic["maxScaledInReplicas"]) {
            control = AutoscalerPolicy.ScaleInControl(maxScaledInReplicas: max, timeWindowSec: sic["timeWindowSec"]?.number ?? 600)
        }
        return AutoscalerPolicy(minNumReplicas: Int(p["minNumReplicas"]?.number ?? 1), maxNumReplicas: Int(p["maxNumReplicas"]?.number ?? 1),
                                coolDownPeriodSec: p["coolDownPeriodSec"]?.number ?? 60,
                                cpuUtilizationTarget: p["cpuUtilization"]?["utilizationTarget"]?.number ?? 0.6,
                                mode: AutoscalerPolicy.Mode(rawValue: p["mode"]?.string ?? "ON") ?? .on,
                                scaleInControl: control, stabilizationPeriodSec: stabilization)
    }

    /// One pass over every autoscaler.
    func tick(now: Double) {
        guard let all = try? store.listAll(like: "projects/%/autoscalers") else { return }
        for (collection, autoscaler) in all {
            guard let name = autoscaler["name"]?.string, let target = autoscaler["target"]?.string,
                  let ref = Self.groupReference(target, collection: collection),
                  let group = try? store.get(ref.path, ref.name) else { continue }
            // Instances on their way out (draining, powering off) are not capacity: their CPU
            // (a guest shutting down under TCG is busy) must not make the group grow back.
            let members = ((try? groups.members(of: group)) ?? []).filter {
                !["DELETING", "ABANDONING", "RECREATING"].contains($0.vm["currentAction"]?.string ?? "")
            }
            let loads: [(name: String, load: InstanceLoad)] = members.compactMap { member in
                guard member.instance.instanceStatus == .running, let pid = member.vm["pid"]?.number,
                      let utilization = utilization(pid: Int32(pid), vcpus: member.vm["cpus"]?.number ?? 1, now: now) else { return nil }
                // Since this VM was (re)started: a booting guest (autohealed, or new) is busy, and the
                // cool-down period (GCE's initialization period) keeps its CPU out of the signal.
                let since = member.vm["startedAt"]?.number ?? now
                return (member.name, InstanceLoad(utilization: utilization, runningSince: since))
            }
            let policy = Self.policy(autoscaler, stabilization: stabilizationSec)
            let decision = memory.withLock { memory -> AutoscalerDecision in
                var decider = memory.deciders[collection + "/" + name] ?? Autoscaler(policy: policy)
                decider.policy = policy
                let d = decider.observe(instances: loads.map(\.load), currentSize: Int(group["targetSize"]?.number ?? 0), now: now)
                memory.deciders[collection + "/" + name] = decider
                return d
            }
            func measured() -> String {
                loads.isEmpty ? "none measured" : loads.map { "\($0.name) \(String(format: "%.2f", $0.load.utilization))" }.joined(separator: ", ")
            }
            logger.debug("autoscaler \(name): recommended \(decision.recommendedSize); CPU utilisation of its instances: \(measured())")
            if let size = decision.targetSize, size != Int(group["targetSize"]?.number ?? 0) {
                logger.info("autoscaler \(name): resizing \(ref.name) from \(Int(group["targetSize"]?.number ?? 0)) to \(size) (\(decision.reason.rawValue); CPU utilisation of its instances: \(measured()))")
                _ = try? store.mutate(ref.path, ref.name) { $0["targetSize"] = .number(Double(size)) }
            }
            let details = decision.statusDetails.map { JSONValue.object(["type": .string($0.rawValue), "message": .string($0.rawValue)]) }
            if autoscaler["recommendedSize"]?.number != Double(decision.recommendedSize) || autoscaler["statusDetails"]?.array?.count != details.count {
                _ = try? store.mutate(collection, name) { a in
                    a["recommendedSize"] = .number(Double(decision.recommendedSize))
                    a["status"] = details.isEmpty ? "ACTIVE" : "ACTIVE"
                    a["statusDetails"] = .array(details)
                }
            }
        }
    }

    static func groupReference(_ target: String, collection: String) -> (path: String, name: String)? {
        var text = Substring(target)
        if let r = text.range(of: "/compute/v1/") { text = text[r.upperBound...] }
        let parts = text.split(separator: "/").map(String.init)
        // projects/P/zones/Z/instanceGroupManagers/N
        guard parts.count == 6, parts[0] == "projects", parts[4] == "instanceGroupManagers" else { return nil }
        return ("projects/\(parts[1])/\(parts[2])/\(parts[3])/instanceGroupManagers", parts[5])
    }

    /// CPU use of a QEMU process since the last sample, per vCPU (0...1), from /proc/PID/stat.
    func utilization(pid: Int32, vcpus: Double, now: Double) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let cpu = (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
        return memory.withLock { memory in
            guard let last = memory.samples[pid] else {
                memory.samples[pid] = (cpu, now, nil)
                return nil
            }
            // Measure over at least 2 s; between measurements report the last one.
            guard now - last.wall >= 2 else { return last.utilization }
            let value = min(1, max(0, (cpu - last.cpu) / (now - last.wall) / max(1, vcpus)))
            memory.samples[pid] = (cpu, now, value)
            return value
        }
    }
}
