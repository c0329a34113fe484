import Deploy
import Foundation
import GCEClient
import GCEModel

/// Steps 6 and 7 of a deploy (and all of `sortie rollback`): moves the group to a template by
/// PATCHing its versions, waits until every instance serves it and passes its health check, and
/// on failure or timeout puts the previous template back and waits for that.
public struct RolloutDriver: Sendable {
    public var connection: TargetConnection
    public var names: ResourceNames
    /// How often the group is read while it rolls: the end of a rollout is seen at most this late
    /// (two GETs a second stay far below Compute Engine's read quota).
    public var pollInterval: Duration = .seconds(1)

    public init(connection: TargetConnection, names: ResourceNames) {
        self.connection = connection
        self.names = names
    }

    var groups: ComputeCollection<InstanceGroupManager> { connection.compute.instanceGroupManagers(connection.scope) }

    /// The group, or an error saying to deploy first.
    public func group() async throws -> InstanceGroupManager {
        guard let group = try await connection.compute.ifExists({ try await groups.get(names.group) }) else {
            throw DeployError(step: "rollout", reason: "target \(connection.target.name) has no group \(names.group)",
                              hint: "run `sortie deploy --target \(connection.target.name)` first")
        }
        return group
    }

    /// The templates the group's versions name (URLs), in order.
    public static func templates(of group: InstanceGroupManager) -> [String] {
        if let versions = group.versions, !versions.isEmpty { return versions.compactMap(\.instanceTemplate) }
        return [group.instanceTemplate].compactMap { $0 }
    }

    /// Moves the group to `template` (a URL of release `release`), canary first if `canary` > 0,
    /// within `timeout`. On failure rolls back to what the group ran before and throws.
    public func roll(to template: String, release: String, canary: Int, timeout: Duration,
                     reporter: any DeployReporter, step: String = "rollout") async throws -> String {
        let current = try await group()
        let before = Self.templates(of: current)
        let templateName = RolloutProgress.lastSegment(template)
        let previous = before.last { RolloutProgress.lastSegment($0) != templateName }
        let deadline = connection.clock.now() + timeout
        do {
            if before.count == 1, RolloutProgress.lastSegment(before[0]) == templateName {
                reporter.progress(step, "the group already names \(templateName); waiting for it to be healthy")
            } else if canary > 0, let previous {
                let old = names.release(ofResource: RolloutProgress.lastSegment(previous)) ?? "previous"
                try await patchVersions([.init(name: old, instanceTemplate: previous),
                                         .init(name: release, instanceTemplate: template, targetSize: FixedOrPercent(fixed: canary))])
                reporter.progress(step, "canary: \(canary) instance(s) on \(release)")
                try await waitConverged(templateName, atLeast: canary, deadline: deadline, reporter: reporter, step: step)
                reporter.progress(step, "canary healthy; promoting \(release) to every instance")
                try await patchVersions([.init(name: release, instanceTemplate: template)])
            } else {
                try await patchVersions([.init(name: release, instanceTemplate: template)])
            }
            let progress = try await waitConverged(templateName, atLeast: nil, deadline: deadline, reporter: reporter, step: step)
            return progress.summary
        } catch let failure as RolloutTimeout {
            throw await rollBack(failure, to: previous, timeout: timeout, reporter: reporter, step: step, release: release)
        }
    }

    func patchVersions(_ versions: [InstanceGroupManager.Version]) async throws {
        var patch = InstanceGroupManager()
        patch.versions = versions
        _ = try await connection.compute.wait(for: try await groups.patch(names.group, patch), timeout: .seconds(300))
    }

    /// Why a rollout stopped waiting: the last thing it saw, and the console of a failing instance.
    struct RolloutTimeout: Error {
        var progress: RolloutProgress
        var console: [String]
        var instance: String?
    }

    /// Polls until `RolloutProgress` says done, or throws `RolloutTimeout` at `deadline`.
    @discardableResult
    public func waitConverged(_ template: String, atLeast: Int?, deadline: ContinuousClock.Instant,
                              reporter: any DeployReporter, step: String) async throws -> RolloutProgress {
        var lastSummary = ""
        while true {
            let group = try await groups.get(names.group)
            let instances = try await groups.listManagedInstances(names.group)
            let progress = RolloutProgress.assess(group: group, instances: instances, template: template, atLeast: atLeast)
            if progress.state == .done { return progress }
            if progress.summary != lastSummary {
                reporter.progress(step, progress.summary)
                lastSummary = progress.summary
            }
            if connection.clock.now() >= deadline {
                let failing = progress.unhealthyNewInstances.first
                    ?? instances.first { RolloutProgress.templateName($0) == template && !RolloutProgress.isServing($0, requiresHealth: !(group.autoHealingPolicies ?? []).isEmpty) }
                        .map(RolloutProgress.shortName)
                var console: [String] = []
                if let failing { console = await consoleTail(instance: failing, instances: instances) }
                throw RolloutTimeout(progress: progress, console: console, instance: failing)
            }
            try await connection.clock.sleep(pollInterval)
        }
    }

    func rollBack(_ failure: RolloutTimeout, to previous: String?, timeout: Duration, reporter: any DeployReporter,
                  step: String, release: String) async -> DeployError {
        let seconds = Int(timeout.components.seconds)
        var reason = "\(release) did not become healthy within \(seconds) s (\(failure.progress.summary))"
        if let instance = failure.instance { reason += "; console of \(instance) below" }
        guard let previous else {
            return DeployError(step: step, reason: reason + "; there is no previous release to roll back to",
                               hint: "fix the release (see `sortie logs`) and deploy again", console: failure.console)
        }
        let previousName = RolloutProgress.lastSegment(previous)
        let previousRelease = names.release(ofResource: previousName) ?? previousName
        reporter.note("rolling back to \(previousRelease)")
        do {
            try await patchVersions([.init(name: previousRelease, instanceTemplate: previous)])
            try await waitConverged(previousName, atLeast: nil, deadline: connection.clock.now() + timeout, reporter: reporter, step: "rollback")
            return DeployError(step: step, reason: reason + ". Rolled back: every instance runs \(previousRelease) again and is healthy",
                               hint: "check the health check path and the console (`sortie logs`), fix the release and deploy again",
                               console: failure.console, rolledBack: true)
        } catch let again as RolloutTimeout {
            return DeployError(step: step, reason: reason + ". Rolling back to \(previousRelease) did not converge either: \(again.progress.summary)",
                               hint: "look at `sortie status` and `sortie logs`; the group keeps trying to reach \(previousRelease)",
                               console: failure.console)
        } catch {
            return DeployError(step: step, reason: reason + ". Rolling back to \(previousRelease) failed: \(DeployError.api(step, error).reason)",
                               hint: "run `sortie rollback \(previousRelease)` once the target answers", console: failure.console)
        }
    }

    /// The last `lines` lines of an instance's serial console, or nothing if it cannot be read.
    public func consoleTail(instance name: String, instances: [ManagedInstance], lines: Int = 25) async -> [String] {
        guard let zone = Self.zone(of: name, in: instances) else { return [] }
        guard let output = try? await connection.compute.instances(zone: zone).serialPortOutput(name) else { return [] }
        let all = (output.contents ?? "").split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        }
        return Array(all.reversed().drop(while: \.isEmpty).reversed().suffix(lines))
    }

    /// The zone in an instance URL (`…/zones/Z/instances/N`).
    static func zone(of name: String, in instances: [ManagedInstance]) -> String? {
        guard let url = instances.first(where: { RolloutProgress.shortName($0) == name })?.instance else { return nil }
        let parts = url.split(separator: "/")
        guard let index = parts.firstIndex(of: "zones"), index + 1 < parts.count else { return nil }
        return String(parts[index + 1])
    }
}
