import Testing
@testable import Rollout

/// Whole rollouts, step by step, on a fake group with a manual clock.
@Suite("Rollout simulations")
struct RolloutSimulationTests {
    @Test func aSurgeRolloutOfThreeCreatesOneThenReplacesOneAtATime() {
        var group = FakeGroup(size: 3, template: "old", policy: surgeOne)
        group.rollOut(to: "new")

        // Step 1: one new instance, nothing deleted.
        var plan = group.step()
        #expect(plan.actions == [.create(template: "new", count: 1)])
        // While it boots and verifies, nothing else happens.
        for _ in 0..<2 {
            plan = group.step()
            #expect(plan.actions.isEmpty)
            #expect(group.count(template: "old") == 3)
        }
        // Healthy: an old one goes, and the next new one starts in its room.
        plan = group.step()
        #expect(plan.actions.filter { if case .delete = $0 { true } else { false } }.count == 1)
        #expect(plan.actions.contains(.create(template: "new", count: 1)))

        let steps = group.runUntilSettled { group, _ in
            #expect(group.availableCount >= 3)
            #expect(group.members.count <= 4)
        }
        #expect(steps != nil)
        #expect(group.count(template: "new") == 3)
        #expect(group.count(template: "old") == 0)
        #expect(group.instances.count == 3)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var size: Int
        var policy: UpdatePolicy
        var healthCheck = true
        var testDescription: String {
            "\(size) instances, \(policy.replacementMethod.rawValue), maxSurge \(policy.maxSurge?.description ?? "unset"), "
                + "maxUnavailable \(policy.maxUnavailable?.description ?? "unset")\(healthCheck ? "" : ", no health check")"
        }
    }

    static let cases: [Case] = [
        Case(size: 3, policy: UpdatePolicy(maxSurge: .fixed(1), maxUnavailable: .fixed(0))),
        Case(size: 1, policy: UpdatePolicy(maxSurge: .fixed(1), maxUnavailable: .fixed(0))),
        Case(size: 3, policy: UpdatePolicy(maxSurge: .fixed(0), maxUnavailable: .fixed(1))),
        Case(size: 1, policy: UpdatePolicy(maxSurge: .fixed(0), maxUnavailable: .fixed(1))),
        Case(size: 5, policy: UpdatePolicy(maxSurge: .fixed(2), maxUnavailable: .fixed(0))),
        Case(size: 5, policy: UpdatePolicy(maxSurge: .fixed(1), maxUnavailable: .fixed(2))),
        Case(size: 4, policy: UpdatePolicy()),
        Case(size: 10, policy: UpdatePolicy(maxSurge: .percent(20), maxUnavailable: .percent(0))),
        Case(size: 12, policy: UpdatePolicy(maxSurge: .percent(25), maxUnavailable: .percent(10))),
        Case(size: 3, policy: UpdatePolicy(replacementMethod: .recreate, maxSurge: .fixed(0), maxUnavailable: .fixed(1))),
        Case(size: 6, policy: UpdatePolicy(replacementMethod: .recreate, maxUnavailable: .fixed(2))),
        Case(size: 3, policy: UpdatePolicy(maxSurge: .fixed(1), maxUnavailable: .fixed(0)), healthCheck: false),
        Case(size: 3, policy: UpdatePolicy(replacementMethod: .recreate, maxUnavailable: .fixed(1)), healthCheck: false),
    ]

    @Test(arguments: cases)
    func everyRolloutKeepsCapacityAndEndsOnTheNewTemplate(_ testCase: Case) {
        var group = FakeGroup(size: testCase.size, template: "old", policy: testCase.policy, hasHealthCheck: testCase.healthCheck)
        let namesBefore = group.names
        group.rollOut(to: "new")
        let steps = group.runUntilSettled(maxSteps: 200) { group, _ in
            #expect(group.availableCount >= group.minAvailable)
            #expect(group.members.count <= group.maxMembers)
        }
        #expect(steps != nil)
        #expect(group.instances.allSatisfy { $0.snapshot.instanceTemplate == "new" })
        #expect(group.instances.count == testCase.size)
        #expect(group.availableCount == testCase.size)
        if testCase.policy.replacementMethod == .recreate {
            #expect(group.names == namesBefore, "RECREATE keeps instance names")
        } else {
            #expect(group.names.isDisjoint(with: namesBefore), "SUBSTITUTE gives new names")
        }
    }

    @Test func aRolloutWhoseInstancesNeverBecomeHealthyNeverTakesCapacityAway() {
        var group = FakeGroup(size: 3, template: "old", policy: surgeOne)
        group.unhealthyTemplates = ["bad"]
        group.rollOut(to: "bad")
        let steps = group.runUntilSettled(maxSteps: 50) { group, plan in
            #expect(group.availableCount == 3)
            #expect(group.count(template: "old") == 3)
            #expect(!plan.status.versionTargetReached)
        }
        #expect(steps == nil)
        #expect(group.count(template: "bad") == 1, "only maxSurge new instances are ever created")
    }

    @Test func rollingBackAFailedRolloutRemovesTheBadInstancesAndSettles() {
        var group = FakeGroup(size: 3, template: "old", policy: surgeOne)
        group.unhealthyTemplates = ["bad"]
        group.rollOut(to: "bad")
        for _ in 0..<10 { group.step() }
        group.rollOut(to: "old")
        let steps = group.runUntilSettled { group, _ in
            #expect(group.availableCount >= 3)
        }
        #expect(steps != nil)
        #expect(group.count(template: "old") == 3)
        #expect(group.instances.count == 3)
    }

    @Test func aCanaryThenPromotion() {
        var group = FakeGroup(size: 3, template: "old", policy: surgeOne)
        group.versions = [VersionSpec(name: "stable", instanceTemplate: "old"),
                          VersionSpec(name: "canary", instanceTemplate: "new", targetSize: .fixed(1))]
        let canarySteps = group.runUntilSettled { group, _ in
            #expect(group.availableCount >= 3)
        }
        #expect(canarySteps != nil)
        #expect(group.count(template: "new") == 1)
        #expect(group.count(template: "old") == 2)

        group.rollOut(to: "new")  // promote
        let promoteSteps = group.runUntilSettled { group, _ in
            #expect(group.availableCount >= 3)
        }
        #expect(promoteSteps != nil)
        #expect(group.count(template: "new") == 3)
        #expect(group.instances.count == 3)
    }

    @Test func aHealthyCanaryRolledBack() {
        var group = FakeGroup(size: 3, template: "old", policy: surgeOne)
        group.versions = [VersionSpec(name: "stable", instanceTemplate: "old"),
                          VersionSpec(name: "canary", instanceTemplate: "new", targetSize: .fixed(1))]
        _ = group.runUntilSettled()
        group.rollOut(to: "old")
        let steps = group.runUntilSettled { group, _ in
            #expect(group.availableCount >= 3)
        }
        #expect(steps != nil)
        #expect(group.count(template: "old") == 3)
        #expect(group.count(template: "new") == 0)
    }

    @Test func aCanaryThatNeverBecomesHealthyKeepsEveryOldInstance() {
        var group = FakeGroup(size: 3, template: "old", policy: surgeOne)
        group.unhealthyTemplates = ["bad"]
        group.versions = [VersionSpec(name: "stable", instanceTemplate: "old"),
                          VersionSpec(name: "canary", instanceTemplate: "bad", targetSize: .fixed(1))]
        for _ in 0..<30 {
            let plan = group.step()
            #expect(group.count(template: "old") == 3)
            #expect(!plan.status.versionTargetReached)
        }
    }

    @Test func aPercentCanaryOnTenInstances() {
        var group = FakeGroup(size: 10, template: "old", policy: UpdatePolicy(maxSurge: .percent(10), maxUnavailable: .fixed(0)))
        group.versions = [VersionSpec(name: "stable", instanceTemplate: "old"),
                          VersionSpec(name: "canary", instanceTemplate: "new", targetSize: .percent(15))]
        let steps = group.runUntilSettled { group, _ in
            #expect(group.availableCount >= 10)
        }
        #expect(steps != nil)
        #expect(group.count(template: "new") == 2)  // 1.5 rounds up
        #expect(group.count(template: "old") == 8)
    }

    @Test func resizingDuringARolloutStillSettles() {
        var group = FakeGroup(size: 4, template: "old", policy: surgeOne)
        group.rollOut(to: "new")
        for _ in 0..<5 { group.step() }
        group.targetSize = 2
        let steps = group.runUntilSettled { group, _ in
            #expect(group.availableCount >= 2)
        }
        #expect(steps != nil)
        #expect(group.instances.count == 2)
        #expect(group.count(template: "new") == 2)
    }

    @Test func aVMDyingDuringARolloutIsReplacedByTheNewTemplate() {
        var group = FakeGroup(size: 3, template: "old", policy: surgeOne)
        group.rollOut(to: "new")
        group.step()
        group.kill("app-0")
        let plan = group.step()
        #expect(plan.actions.contains(.delete(instance: "app-0")))
        let steps = group.runUntilSettled()
        #expect(steps != nil)
        #expect(group.count(template: "new") == 3)
    }

    @Test func opportunisticUpdatesOnlyWhatTheGroupCreates() {
        var group = FakeGroup(size: 2, template: "old", policy: UpdatePolicy(type: .opportunistic))
        group.rollOut(to: "new")
        var plan = group.step()
        #expect(plan.actions.isEmpty)
        #expect(plan.status.isStable)
        group.targetSize = 3
        plan = group.step()
        #expect(plan.actions == [.create(template: "new", count: 1)])
        for _ in 0..<10 { plan = group.step() }
        #expect(group.count(template: "old") == 2)
        #expect(group.count(template: "new") == 1)
        #expect(plan.status.isStable)
        #expect(!plan.status.versionTargetReached)
    }

    @Test func aCrashLoopingReleaseIsRepairedLessAndLessOftenAndNeverCostsCapacity() {
        var group = FakeGroup(size: 3, template: "old", policy: surgeOne)
        group.crashingTemplates = ["bad"]
        group.rollOut(to: "bad")
        var healer = Autohealer()
        var repairs: [Double] = []
        for _ in 0..<100 {  // 1000 s
            let plan = group.step()
            let healing = healer.decide(instances: group.snapshot.instances, policy: AutohealingPolicy(),
                                        targetSize: group.targetSize, now: group.now)
            for case .recreate(let name, _) in healing {
                group.recreate(named: name, template: plan.intendedTemplates[name]!)
                repairs.append(group.now)
            }
            #expect(group.availableCount == 3)
            #expect(group.count(template: "old") == 3)
            #expect(group.count(template: "bad") == 1)
        }
        // Dying 30 s after each start, it would be recreated about 33 times without backoff.
        #expect(repairs.count >= 5 && repairs.count <= 8, "repairs at \(repairs)")
        let gaps = zip(repairs.dropFirst(), repairs).map { $0 - $1 }
        #expect(gaps == gaps.sorted(), "gaps between repairs only grow: \(gaps)")
    }
}
