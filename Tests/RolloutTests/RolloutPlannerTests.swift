import Testing
@testable import Rollout

/// A serving instance.
func up(_ name: String, _ template: String, createdAt: Double = 0, health: HealthState? = .healthy) -> ManagedInstanceSnapshot {
    ManagedInstanceSnapshot(name: name, instanceTemplate: template, status: .running, health: health,
                            currentAction: .none, createdAt: createdAt)
}

/// An instance that is booting.
func booting(_ name: String, _ template: String, createdAt: Double = 0) -> ManagedInstanceSnapshot {
    ManagedInstanceSnapshot(name: name, instanceTemplate: template, status: .creating, health: .unknown,
                            currentAction: .creating, createdAt: createdAt)
}

/// An instance that booted but fails its health check.
func sick(_ name: String, _ template: String, createdAt: Double = 0) -> ManagedInstanceSnapshot {
    ManagedInstanceSnapshot(name: name, instanceTemplate: template, status: .running, health: .unhealthy,
                            currentAction: .verifying, createdAt: createdAt)
}

let surgeOne = UpdatePolicy(maxSurge: .fixed(1), maxUnavailable: .fixed(0))

func group(
    _ targetSize: Int, _ versions: [VersionSpec], _ policy: UpdatePolicy, _ instances: [ManagedInstanceSnapshot]
) -> GroupSnapshot {
    GroupSnapshot(targetSize: targetSize, versions: versions, updatePolicy: policy, instances: instances)
}

/// A group with the zero-downtime policy (maxSurge 1, maxUnavailable 0).
func group(_ targetSize: Int, _ versions: [VersionSpec], _ instances: [ManagedInstanceSnapshot]) -> GroupSnapshot {
    group(targetSize, versions, surgeOne, instances)
}

func only(_ template: String) -> [VersionSpec] { [VersionSpec(name: "v-\(template)", instanceTemplate: template)] }

@Suite("Rollout planner, one decision at a time")
struct RolloutPlannerTests {
    let old3 = [up("a", "old", createdAt: 1), up("b", "old", createdAt: 2), up("c", "old", createdAt: 3)]

    @Test func aGroupAtItsTargetIsStableAndDoesNothing() {
        let plan = RolloutPlanner.plan(group(3, only("old"), old3))
        #expect(plan.actions.isEmpty)
        #expect(plan.status.isStable)
        #expect(plan.status.versionTargetReached)
        #expect(plan.currentActions.none == 3)
    }

    @Test func anEmptyGroupCreatesItsInstances() {
        let plan = RolloutPlanner.plan(group(3, only("t"), []))
        #expect(plan.actions == [.create(template: "t", count: 3)])
        #expect(!plan.status.isStable)
        #expect(!plan.status.versionTargetReached)
    }

    @Test func aSurgeRolloutFirstCreatesOneAndDeletesNothing() {
        let plan = RolloutPlanner.plan(group(3, only("new"), old3))
        #expect(plan.actions == [.create(template: "new", count: 1)])
        #expect(!plan.status.isStable)
        #expect(!plan.status.versionTargetReached)
    }

    @Test func nothingMoreHappensWhileTheNewInstanceBoots() {
        let plan = RolloutPlanner.plan(group(3, only("new"), old3 + [booting("d", "new")]))
        #expect(plan.actions.isEmpty)
        #expect(plan.currentActions.creating == 1)
        #expect(!plan.status.isStable)
    }

    @Test func anOldInstanceGoesOnceTheNewOneIsHealthyAndTheSurgeIsRefilled() {
        let plan = RolloutPlanner.plan(group(3, only("new"), old3 + [up("d", "new", createdAt: 10)]))
        // The newest old instance goes first; its room goes to the next new instance at once.
        #expect(plan.actions == [.create(template: "new", count: 1), .delete(instance: "c")])
    }

    @Test func aNewInstanceThatNeverBecomesHealthyTakesNothingAway() {
        let plan = RolloutPlanner.plan(group(3, only("new"), old3 + [sick("d", "new")]))
        #expect(plan.actions.isEmpty)
        #expect(!plan.status.isStable)
    }

    @Test func withMaxUnavailableOneAndNoSurgeOneOldInstanceIsSubstitutedAtOnce() {
        let policy = UpdatePolicy(maxSurge: .fixed(0), maxUnavailable: .fixed(1))
        let plan = RolloutPlanner.plan(group(3, only("new"), policy, old3))
        #expect(plan.actions == [.create(template: "new", count: 1), .delete(instance: "c")])
    }

    @Test func aDeletedOldInstanceIsReplacedWithoutSurge() {
        let policy = UpdatePolicy(maxSurge: .fixed(0), maxUnavailable: .fixed(1))
        let plan = RolloutPlanner.plan(group(3, only("new"), policy, Array(old3.prefix(2))))
        #expect(plan.actions == [.create(template: "new", count: 1)])
    }

    @Test func aLargerSurgeCreatesMoreAtOnce() {
        let policy = UpdatePolicy(maxSurge: .fixed(2), maxUnavailable: .fixed(0))
        let plan = RolloutPlanner.plan(group(3, only("new"), policy, old3))
        #expect(plan.actions == [.create(template: "new", count: 2)])
    }

    @Test func unavailableOldInstancesGoFirstAndAtOnce() {
        let instances = [up("a", "old"), sick("b", "old"), up("c", "old")]
        let plan = RolloutPlanner.plan(group(3, only("new"), instances))
        #expect(plan.actions == [.create(template: "new", count: 2), .delete(instance: "b")])
    }

    @Test func recreateReplacesInPlaceWithinMaxUnavailable() {
        let policy = UpdatePolicy(replacementMethod: .recreate, maxSurge: .fixed(0), maxUnavailable: .fixed(1))
        let plan = RolloutPlanner.plan(group(3, only("new"), policy, old3))
        #expect(plan.actions == [.recreate(instance: "c", template: "new")])
    }

    @Test func recreateWaitsForTheRecreatedInstance() {
        let policy = UpdatePolicy(replacementMethod: .recreate, maxSurge: .fixed(0), maxUnavailable: .fixed(1))
        var recreated = booting("c", "new")
        recreated.currentAction = .recreating
        let plan = RolloutPlanner.plan(group(3, only("new"), policy, Array(old3.prefix(2)) + [recreated]))
        #expect(plan.actions.isEmpty)
        #expect(plan.currentActions.recreating == 1)
    }

    @Test func opportunisticLeavesOutdatedInstancesAlone() {
        let policy = UpdatePolicy(type: .opportunistic)
        let plan = RolloutPlanner.plan(group(3, only("new"), policy, old3))
        #expect(plan.actions.isEmpty)
        #expect(plan.status.isStable)
        #expect(!plan.status.versionTargetReached)
        #expect(plan.intendedTemplates == ["a": "new", "b": "new", "c": "new"])
    }

    @Test func opportunisticUsesTheNewTemplateWhenGrowing() {
        let policy = UpdatePolicy(type: .opportunistic)
        let plan = RolloutPlanner.plan(group(4, only("new"), policy, old3))
        #expect(plan.actions == [.create(template: "new", count: 1)])
    }

    @Test func aPolicyThatForbidsReplacingDoesNotRollOut() {
        let policy = UpdatePolicy(minimalAction: .restart, mostDisruptiveAllowedAction: .restart)
        let plan = RolloutPlanner.plan(group(3, only("new"), policy, old3))
        #expect(plan.actions.isEmpty)
        #expect(!plan.status.versionTargetReached)
    }

    @Test func resizeUpCreatesTheDifference() {
        let plan = RolloutPlanner.plan(group(5, only("old"), old3))
        #expect(plan.actions == [.create(template: "old", count: 2)])
    }

    @Test func resizeDownDeletesTheNewestFirst() {
        let plan = RolloutPlanner.plan(group(1, only("old"), old3))
        #expect(plan.actions == [.delete(instance: "c"), .delete(instance: "b")])
    }

    @Test func resizeDownDeletesUnhealthyInstancesFirst() {
        let instances = [up("a", "old", createdAt: 1), sick("b", "old", createdAt: 2), up("c", "old", createdAt: 3)]
        let plan = RolloutPlanner.plan(group(2, only("old"), instances))
        #expect(plan.actions == [.delete(instance: "b")])
    }

    @Test func resizeDownDeletesOutdatedInstancesFirst() {
        let instances = [up("a", "new", createdAt: 1), up("b", "old", createdAt: 2), up("c", "new", createdAt: 3)]
        let plan = RolloutPlanner.plan(group(2, only("new"), UpdatePolicy(type: .opportunistic), instances))
        #expect(plan.actions == [.delete(instance: "b")])
    }

    @Test func resizeDownNeverTakesAvailabilityBelowTheMinimum() {
        // Target 3, maxUnavailable 0: of 5, the two booting ones go, the serving ones stay.
        let instances = Array(old3) + [booting("d", "old", createdAt: 9), booting("e", "old", createdAt: 9)]
        let plan = RolloutPlanner.plan(group(3, only("old"), instances))
        #expect(Set(plan.actions) == [.delete(instance: "d"), .delete(instance: "e")])
    }

    @Test func resizeToZeroDeletesEverything() {
        let plan = RolloutPlanner.plan(group(0, only("old"), old3))
        #expect(Set(plan.actions) == [.delete(instance: "a"), .delete(instance: "b"), .delete(instance: "c")])
    }

    @Test func aRegionalGroupSurgesOnePerZoneByDefault() {
        let instances = (0..<6).map { up("i\($0)", "old", createdAt: Double($0)) }
        let snapshot = GroupSnapshot(targetSize: 6, versions: only("new"),
                                     updatePolicy: UpdatePolicy(maxUnavailable: .fixed(0)), zoneCount: 3, instances: instances)
        #expect(RolloutPlanner.plan(snapshot).actions == [.create(template: "new", count: 3)])
    }

    @Test func aDeadInstanceOfTheCurrentVersionIsLeftToAutohealing() {
        var dead = up("c", "old")
        dead.status = .terminated
        let plan = RolloutPlanner.plan(group(3, only("old"), Array(old3.prefix(2)) + [dead]))
        #expect(plan.actions.isEmpty)
        #expect(!plan.status.isStable)
        #expect(!plan.status.versionTargetReached)
    }

    @Test func instancesBeingDeletedDoNotCount() {
        var leaving = up("c", "old")
        leaving.currentAction = .deleting
        let plan = RolloutPlanner.plan(group(3, only("old"), Array(old3.prefix(2)) + [leaving]))
        #expect(plan.actions == [.create(template: "old", count: 1)])
        #expect(plan.currentActions.deleting == 1)
    }

    @Test func withoutAHealthCheckRunningCountsAsAvailable() {
        let instances = [up("a", "old", createdAt: 1, health: nil), up("b", "old", createdAt: 2, health: nil),
                         up("c", "old", createdAt: 3, health: nil), up("d", "new", createdAt: 5, health: nil)]
        let plan = RolloutPlanner.plan(group(3, only("new"), instances))
        #expect(plan.actions == [.create(template: "new", count: 1), .delete(instance: "c")])
    }

    @Test func withNoVersionsNothingHappens() {
        let plan = RolloutPlanner.plan(group(3, [], old3))
        #expect(plan.actions.isEmpty)
        #expect(!plan.status.versionTargetReached)
    }

    @Test func theSamePlanForTheSameSnapshot() {
        let snapshot = group(3, only("new"), old3 + [up("d", "new")])
        #expect(RolloutPlanner.plan(snapshot) == RolloutPlanner.plan(snapshot))
    }

    @Test func versionTargetSizesAreReported() {
        let versions = [VersionSpec(name: "stable", instanceTemplate: "old"),
                        VersionSpec(name: "canary", instanceTemplate: "new", targetSize: .percent(34))]
        let plan = RolloutPlanner.plan(group(3, versions, old3))
        #expect(plan.versionTargetSizes == ["stable": 1, "canary": 2])
    }
}

@Suite("Canary")
struct CanaryPlannerTests {
    let versions = [VersionSpec(name: "stable", instanceTemplate: "old"),
                    VersionSpec(name: "canary", instanceTemplate: "new", targetSize: .fixed(1))]
    let old3 = [up("a", "old", createdAt: 1), up("b", "old", createdAt: 2), up("c", "old", createdAt: 3)]

    @Test func aCanaryStartsWithOneNewInstance() {
        let plan = RolloutPlanner.plan(group(3, versions, old3))
        #expect(plan.actions == [.create(template: "new", count: 1)])
    }

    @Test func aCanaryThatNeverBecomesHealthyNeverDeletesAnOldInstance() {
        let plan = RolloutPlanner.plan(group(3, versions, old3 + [sick("d", "new")]))
        #expect(plan.actions.isEmpty)
        #expect(!plan.status.versionTargetReached)
    }

    @Test func aHealthyCanaryReplacesOneOldInstance() {
        let plan = RolloutPlanner.plan(group(3, versions, old3 + [up("d", "new", createdAt: 9)]))
        #expect(plan.actions == [.delete(instance: "c")])
    }

    @Test func aCanaryInPlaceReachesItsTarget() {
        let plan = RolloutPlanner.plan(group(3, versions, Array(old3.prefix(2)) + [up("d", "new")]))
        #expect(plan.actions.isEmpty)
        #expect(plan.status.isStable)
        #expect(plan.status.versionTargetReached)
        #expect(plan.intendedTemplates == ["a": "old", "b": "old", "d": "new"])
    }

    @Test func rollingBackAFailedCanaryRemovesItAtOnce() {
        let plan = RolloutPlanner.plan(group(3, only("old"), Array(old3.prefix(2)) + [sick("d", "new")]))
        #expect(plan.actions == [.create(template: "old", count: 1), .delete(instance: "d")])
    }
}
