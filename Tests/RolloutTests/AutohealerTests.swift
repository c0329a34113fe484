import Testing
@testable import Rollout

func dead(_ name: String, _ template: String = "t", action: ManagedInstanceAction = .none) -> ManagedInstanceSnapshot {
    ManagedInstanceSnapshot(name: name, instanceTemplate: template, status: .terminated, health: .unhealthy,
                            currentAction: action, createdAt: 0)
}

@Suite("Crash-loop backoff")
struct CrashLoopBackoffTests {
    @Test func delaysDoubleFromTenSecondsUpToFiveMinutes() {
        var backoff = CrashLoopBackoff()
        var delays: [Double] = []
        for t in 0..<8 {
            delays.append(backoff.delay)
            backoff.recordRepair(at: Double(t))
        }
        #expect(delays == [0, 10, 20, 40, 80, 160, 300, 300])
    }

    @Test func theDelayCountsFromWhenTheFailureWasFirstSeen() {
        var backoff = CrashLoopBackoff()
        backoff.recordRepair(at: 0)
        backoff.observeFailing(at: 50)
        backoff.observeFailing(at: 55)
        #expect(backoff.repairAllowedAt == 60)
        #expect(!backoff.allowsRepair(at: 59))
        #expect(backoff.allowsRepair(at: 60))
    }

    @Test func fiveMinutesOfServingForgetsTheHistory() {
        var backoff = CrashLoopBackoff()
        backoff.recordRepair(at: 0)
        backoff.recordRepair(at: 10)
        backoff.observeServing(at: 100)
        backoff.observeServing(at: 399)
        #expect(backoff.consecutiveRepairs == 2)
        backoff.observeServing(at: 400)
        #expect(backoff.consecutiveRepairs == 0)
        #expect(backoff.delay == 0)
    }

    @Test func aBreakInServingRestartsTheResetClock() {
        var backoff = CrashLoopBackoff()
        backoff.recordRepair(at: 0)
        backoff.observeServing(at: 100)
        backoff.observeStarting()
        backoff.observeServing(at: 300)
        backoff.observeServing(at: 500)
        #expect(backoff.consecutiveRepairs == 1)
    }
}

@Suite("Autohealer")
struct AutohealerTests {
    let noDelay = AutohealingPolicy(initialDelaySec: 0)

    @Test func aDeadVMIsRecreatedAtOnce() {
        var healer = Autohealer()
        let actions = healer.decide(instances: [up("a", "t"), dead("b")], policy: noDelay, targetSize: 2, now: 100)
        #expect(actions == [.recreate(instance: "b", reason: .vmDied)])
    }

    @Test func aDeadVMIsRecreatedEvenWithoutAHealthCheck() {
        var healer = Autohealer()
        var b = dead("b")
        b.health = nil
        let actions = healer.decide(instances: [up("a", "t", health: nil), b], policy: noDelay, targetSize: 2, now: 100)
        #expect(actions == [.recreate(instance: "b", reason: .vmDied)])
    }

    @Test func anUnhealthyInstanceWaitsForTheInitialDelay() {
        var healer = Autohealer()
        let policy = AutohealingPolicy(initialDelaySec: 30)
        let instances = [up("a", "t"), sick("b", "t", createdAt: 100)]
        #expect(healer.decide(instances: instances, policy: policy, targetSize: 2, now: 129).isEmpty)
        #expect(healer.decide(instances: instances, policy: policy, targetSize: 2, now: 130)
            == [.recreate(instance: "b", reason: .unhealthy)])
    }

    @Test func healthyBootingAndUnknownInstancesAreLeftAlone() {
        var healer = Autohealer()
        var unknown = up("c", "t")
        unknown.health = .unknown
        unknown.currentAction = .verifying
        let actions = healer.decide(instances: [up("a", "t"), booting("b", "t"), unknown], policy: noDelay, targetSize: 3, now: 1000)
        #expect(actions.isEmpty)
    }

    @Test func instancesBeingDeletedAreLeftAlone() {
        var healer = Autohealer()
        let actions = healer.decide(instances: [up("a", "t"), dead("b", action: .deleting)], policy: noDelay, targetSize: 1, now: 10)
        #expect(actions.isEmpty)
    }

    @Test func aCrashLoopBacksOff() {
        var healer = Autohealer()
        var now = 0.0
        var repairs: [Double] = []
        // The instance dies 5 s after every recreation; the autohealer is asked every second.
        var diedAt = 0.0
        while now < 700 {
            let instance = now >= diedAt ? dead("a", action: .recreating) : booting("a", "t", createdAt: diedAt - 5)
            let actions = healer.decide(instances: [instance], policy: noDelay, targetSize: 1, now: now)
            if actions == [.recreate(instance: "a", reason: .vmDied)] {
                repairs.append(now)
                diedAt = now + 5
            }
            now += 1
        }
        // Repairs at 0, then each failure (5 s after a repair) waits 10, 20, 40, 80, 160, 300 s.
        #expect(repairs == [0, 15, 40, 85, 170, 335, 640])
    }

    @Test func aCrashLoopingInstanceReportsWhenItWillBeRepaired() {
        var healer = Autohealer()
        _ = healer.decide(instances: [dead("a")], policy: noDelay, targetSize: 1, now: 0)
        let actions = healer.decide(instances: [dead("a")], policy: noDelay, targetSize: 1, now: 3)
        #expect(actions == [.backOff(instance: "a", until: 13, reason: .vmDied)])
    }

    @Test func anInstanceThatServedFiveMinutesIsRepairedAtOnceAgain() {
        var healer = Autohealer()
        _ = healer.decide(instances: [dead("a")], policy: noDelay, targetSize: 1, now: 0)
        for t in stride(from: 10.0, through: 320, by: 10) {
            #expect(healer.decide(instances: [up("a", "t")], policy: noDelay, targetSize: 1, now: t).isEmpty)
        }
        #expect(healer.decide(instances: [dead("a")], policy: noDelay, targetSize: 1, now: 330)
            == [.recreate(instance: "a", reason: .vmDied)])
    }

    @Test func whenEverythingLooksUnhealthyOneInstanceIsKept() {
        var healer = Autohealer()
        let instances = [sick("a", "t"), sick("b", "t"), sick("c", "t")]
        let actions = healer.decide(instances: instances, policy: noDelay, targetSize: 3, now: 10)
        #expect(actions == [.recreate(instance: "a", reason: .unhealthy), .recreate(instance: "b", reason: .unhealthy)])
    }

    @Test func theOnlyInstanceOfAGroupOfOneIsRepaired() {
        var healer = Autohealer()
        let actions = healer.decide(instances: [sick("a", "t")], policy: noDelay, targetSize: 1, now: 10)
        #expect(actions == [.recreate(instance: "a", reason: .unhealthy)])
    }

    @Test func recreationsUnderWayCountAgainstTheCap() {
        var healer = Autohealer()
        var recreating = booting("a", "t")
        recreating.currentAction = .recreating
        let actions = healer.decide(instances: [recreating, sick("b", "t"), sick("c", "t")], policy: noDelay, targetSize: 3, now: 10)
        #expect(actions == [.recreate(instance: "b", reason: .unhealthy)])
    }

    @Test func deadVMsAreRepairedBeyondTheCap() {
        var healer = Autohealer()
        let actions = healer.decide(instances: [dead("a"), dead("b"), dead("c")], policy: noDelay, targetSize: 3, now: 10)
        #expect(actions.count == 3)
    }

    @Test func theHistoryOfInstancesThatLeftIsForgotten() {
        var healer = Autohealer()
        _ = healer.decide(instances: [dead("a")], policy: noDelay, targetSize: 1, now: 0)
        #expect(healer.backoffs["a"] != nil)
        _ = healer.decide(instances: [up("b", "t")], policy: noDelay, targetSize: 1, now: 1)
        #expect(healer.backoffs["a"] == nil)
    }

    @Test func autohealingAppliesTheNewTemplateOfAnOpportunisticUpdate() {
        var group = FakeGroup(size: 3, template: "old", policy: UpdatePolicy(type: .opportunistic))
        group.rollOut(to: "new")
        var healer = Autohealer()
        group.kill("app-1")
        let plan = group.step()
        #expect(plan.actions.isEmpty)
        let actions = healer.decide(instances: group.snapshot.instances, policy: noDelay, targetSize: 3, now: group.now)
        #expect(actions == [.recreate(instance: "app-1", reason: .vmDied)])
        group.recreate(named: "app-1", template: plan.intendedTemplates["app-1"]!)
        for _ in 0..<5 { group.step() }
        #expect(group.count(template: "new") == 1)
        #expect(group.availableCount == 3)
    }

    @Test func initialDelayOutsideTheRangeIsRejected() {
        #expect(AutohealingPolicy(initialDelaySec: 300).validate().isEmpty)
        #expect(AutohealingPolicy(initialDelaySec: 3601).validate().count == 1)
    }
}
