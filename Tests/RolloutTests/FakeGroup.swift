@testable import Rollout

/// A managed instance group in memory, driven by the planner's actions with a manual clock.
///
/// Each `step()` advances the clock by `stepSeconds`, moves every instance one step along its life
/// (booting for `bootSteps` steps, then, with a health check, waiting `verifySteps` steps for a
/// verdict; deletions take `deleteSteps` steps), then asks the planner and applies its actions.
struct FakeGroup {
    struct Instance {
        var snapshot: ManagedInstanceSnapshot
        var remaining: Int
    }

    var targetSize: Int
    var versions: [VersionSpec]
    var policy: UpdatePolicy
    var zoneCount = 1
    var hasHealthCheck: Bool
    var instances: [Instance] = []
    /// Templates whose instances boot but never pass the health check.
    var unhealthyTemplates: Set<String> = []
    /// Templates whose VMs die at the end of their boot (a crash-looping kernel).
    var crashingTemplates: Set<String> = []
    var bootSteps = 2
    var verifySteps = 1
    var deleteSteps = 1
    var stepSeconds: Double = 10
    var now: Double = 0
    private var nextNumber = 0

    /// A group of `size` serving instances of `template`.
    init(size: Int, template: String, policy: UpdatePolicy = UpdatePolicy(), hasHealthCheck: Bool = true) {
        targetSize = size
        versions = [VersionSpec(name: "v-\(template)", instanceTemplate: template)]
        self.policy = policy
        self.hasHealthCheck = hasHealthCheck
        for _ in 0..<size {
            let name = nextName()
            instances.append(Instance(snapshot: ManagedInstanceSnapshot(
                name: name, instanceTemplate: template, status: .running,
                health: hasHealthCheck ? .healthy : nil, currentAction: .none, createdAt: now
            ), remaining: 0))
        }
    }

    var snapshot: GroupSnapshot {
        GroupSnapshot(targetSize: targetSize, versions: versions, updatePolicy: policy,
                      zoneCount: zoneCount, instances: instances.map(\.snapshot))
    }

    var members: [ManagedInstanceSnapshot] { instances.map(\.snapshot).filter { !$0.isLeaving } }
    var availableCount: Int { instances.filter(\.snapshot.isAvailable).count }
    var names: Set<String> { Set(members.map(\.name)) }
    var minAvailable: Int { targetSize - policy.resolvedMaxUnavailable(targetSize: targetSize, zoneCount: zoneCount) }
    var maxMembers: Int { targetSize + policy.resolvedMaxSurge(targetSize: targetSize, zoneCount: zoneCount) }

    func count(template: String) -> Int { members.filter { $0.instanceTemplate == template }.count }

    /// Switches the group to one version of `template` (a PATCH of `versions`).
    mutating func rollOut(to template: String) {
        versions = [VersionSpec(name: "v-\(template)", instanceTemplate: template)]
    }

    /// Advances time and lifecycles, plans, applies the plan; returns the plan.
    @discardableResult
    mutating func step() -> RolloutPlan {
        advance()
        let plan = RolloutPlanner.plan(snapshot)
        apply(plan.actions)
        return plan
    }

    /// Steps until the group is stable with its version target reached (returning the number of
    /// steps), or `maxSteps` have passed (returning nil). `check` runs after every step.
    mutating func runUntilSettled(maxSteps: Int = 100, check: (FakeGroup, RolloutPlan) -> Void = { _, _ in }) -> Int? {
        for stepNumber in 1...maxSteps {
            let plan = step()
            check(self, plan)
            if plan.actions.isEmpty && plan.status.isStable && plan.status.versionTargetReached {
                return stepNumber
            }
        }
        return nil
    }

    mutating func advance() {
        now += stepSeconds
        var next: [Instance] = []
        for var instance in instances {
            if instance.remaining > 0 { instance.remaining -= 1 }
            if instance.snapshot.isLeaving {
                if instance.remaining == 0 { continue }  // gone
            } else if instance.remaining == 0 {
                progress(&instance)
            }
            next.append(instance)
        }
        instances = next
    }

    private func progress(_ instance: inout Instance) {
        switch (instance.snapshot.status, instance.snapshot.currentAction) {
        case (.creating, _) where crashingTemplates.contains(instance.snapshot.instanceTemplate):
            instance.snapshot.status = .terminated
        case (.creating, _):
            instance.snapshot.status = .running
            if hasHealthCheck {
                instance.snapshot.currentAction = .verifying
                instance.snapshot.health = .unknown
                instance.remaining = verifySteps
            } else {
                instance.snapshot.currentAction = .none
            }
        case (.running, .verifying):
            if unhealthyTemplates.contains(instance.snapshot.instanceTemplate) {
                instance.snapshot.health = .unhealthy
            } else {
                instance.snapshot.health = .healthy
                instance.snapshot.currentAction = .none
            }
        default:
            break
        }
    }

    mutating func apply(_ actions: [RolloutAction]) {
        for action in actions {
            switch action {
            case .create(let template, let count):
                for _ in 0..<count {
                    let name = nextName()
                    instances.append(Instance(snapshot: ManagedInstanceSnapshot(
                        name: name, instanceTemplate: template, status: .creating,
                        health: hasHealthCheck ? .unknown : nil, currentAction: .creating, createdAt: now
                    ), remaining: bootSteps))
                }
            case .delete(let name):
                let index = instances.firstIndex { $0.snapshot.name == name }!
                instances[index].snapshot.currentAction = .deleting
                instances[index].snapshot.status = .stopping
                instances[index].remaining = deleteSteps
            case .recreate(let name, let template):
                let index = instances.firstIndex { $0.snapshot.name == name }!
                recreate(at: index, template: template)
            }
        }
    }

    /// Recreates an instance in place (a rollout's RECREATE or an autohealing repair).
    mutating func recreate(named name: String, template: String) {
        let index = instances.firstIndex { $0.snapshot.name == name }!
        recreate(at: index, template: template)
    }

    private mutating func recreate(at index: Int, template: String) {
        instances[index].snapshot.instanceTemplate = template
        instances[index].snapshot.status = .creating
        instances[index].snapshot.currentAction = .recreating
        instances[index].snapshot.health = hasHealthCheck ? .unknown : nil
        instances[index].snapshot.createdAt = now
        instances[index].remaining = bootSteps
    }

    /// Kills an instance's VM.
    mutating func kill(_ name: String) {
        let index = instances.firstIndex { $0.snapshot.name == name }!
        instances[index].snapshot.status = .terminated
        instances[index].snapshot.health = hasHealthCheck ? .unhealthy : nil
    }

    private mutating func nextName() -> String {
        defer { nextNumber += 1 }
        return "app-\(nextNumber)"
    }
}
