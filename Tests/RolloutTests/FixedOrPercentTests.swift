import Testing
@testable import Rollout

@Suite("FixedOrPercent and update policy resolution")
struct FixedOrPercentTests {
    @Test func fixedValuesAreTakenAsTheyAre() {
        #expect(FixedOrPercent.fixed(3).calculated(against: 10) == 3)
        #expect(FixedOrPercent.fixed(30).calculated(against: 10) == 30)
        #expect(FixedOrPercent.fixed(-2).calculated(against: 10) == 0)
    }

    @Test func percentOfThreeRoundsUp() {
        // 50 % of 3 is 1.5: GCE rounds up.
        #expect(FixedOrPercent.percent(50).calculated(against: 3) == 2)
        #expect(FixedOrPercent.percent(34).calculated(against: 3) == 2)
        #expect(FixedOrPercent.percent(33).calculated(against: 3) == 1)
    }

    @Test func exactPercentagesDoNotRoundUp() {
        #expect(FixedOrPercent.percent(80).calculated(against: 150) == 120)
        #expect(FixedOrPercent.percent(20).calculated(against: 10) == 2)
        #expect(FixedOrPercent.percent(100).calculated(against: 7) == 7)
    }

    @Test func anyNonZeroPercentOfANonEmptyGroupIsAtLeastOne() {
        #expect(FixedOrPercent.percent(1).calculated(against: 10) == 1)
        #expect(FixedOrPercent.percent(0).calculated(against: 10) == 0)
        #expect(FixedOrPercent.percent(50).calculated(against: 0) == 0)
    }

    @Test func percentagesOutsideTheRangeAreClamped() {
        #expect(FixedOrPercent.percent(150).calculated(against: 10) == 10)
        #expect(FixedOrPercent.percent(-5).calculated(against: 10) == 0)
    }

    @Test func describesItselfAsTheUserWroteIt() {
        #expect(FixedOrPercent.fixed(3).description == "3")
        #expect(FixedOrPercent.percent(50).description == "50%")
    }

    @Test func unsetSurgeAndUnavailableDefaultToTheNumberOfZones() {
        let policy = UpdatePolicy()
        #expect(policy.resolvedMaxSurge(targetSize: 6, zoneCount: 1) == 1)
        #expect(policy.resolvedMaxUnavailable(targetSize: 6, zoneCount: 1) == 1)
        #expect(policy.resolvedMaxSurge(targetSize: 6, zoneCount: 3) == 3)
        #expect(policy.resolvedMaxUnavailable(targetSize: 6, zoneCount: 3) == 3)
    }

    @Test func percentSurgeAndUnavailableRoundUp() {
        let policy = UpdatePolicy(maxSurge: .percent(25), maxUnavailable: .percent(15))
        #expect(policy.resolvedMaxSurge(targetSize: 10, zoneCount: 1) == 3)
        #expect(policy.resolvedMaxUnavailable(targetSize: 10, zoneCount: 1) == 2)
    }

    @Test func recreateNeverSurges() {
        let policy = UpdatePolicy(replacementMethod: .recreate, maxSurge: .fixed(2), maxUnavailable: .fixed(1))
        #expect(policy.resolvedMaxSurge(targetSize: 5, zoneCount: 1) == 0)
        #expect(policy.resolvedMaxUnavailable(targetSize: 5, zoneCount: 1) == 1)
    }

    @Test func theZeroDowntimeSettingIsValid() {
        let policy = UpdatePolicy(maxSurge: .fixed(1), maxUnavailable: .fixed(0))
        #expect(policy.validate(targetSize: 3, zoneCount: 1).isEmpty)
    }

    @Test func percentagesNeedTenInstances() {
        let policy = UpdatePolicy(maxSurge: .percent(50), maxUnavailable: .fixed(0))
        #expect(policy.validate(targetSize: 3, zoneCount: 1) == [.percentNeedsTenInstances(field: "updatePolicy.maxSurge")])
        #expect(policy.validate(targetSize: 10, zoneCount: 1).isEmpty)
    }

    @Test func regionalFixedValuesMustBeZeroOrAtLeastTheZoneCount() {
        let tooSmall = UpdatePolicy(maxSurge: .fixed(2), maxUnavailable: .fixed(0))
        #expect(tooSmall.validate(targetSize: 6, zoneCount: 3)
            == [.regionalFixedBelowZoneCount(field: "updatePolicy.maxSurge", value: 2, zoneCount: 3)])
        let enough = UpdatePolicy(maxSurge: .fixed(3), maxUnavailable: .fixed(0))
        #expect(enough.validate(targetSize: 6, zoneCount: 3).isEmpty)
    }

    @Test func surgeAndUnavailableCannotBothBeZero() {
        let policy = UpdatePolicy(maxSurge: .fixed(0), maxUnavailable: .fixed(0))
        #expect(policy.validate(targetSize: 3, zoneCount: 1) == [.surgeAndUnavailableBothZero])
    }

    @Test func recreateWithSurgeIsRejected() {
        let policy = UpdatePolicy(replacementMethod: .recreate, maxSurge: .fixed(1), maxUnavailable: .fixed(1))
        #expect(policy.validate(targetSize: 3, zoneCount: 1) == [.recreateNeedsZeroSurge])
    }

    @Test func recreateWithDefaultsIsValid() {
        // Unset maxSurge means 0 with RECREATE; maxUnavailable defaults to 1.
        let policy = UpdatePolicy(replacementMethod: .recreate)
        #expect(policy.validate(targetSize: 3, zoneCount: 1).isEmpty)
    }

    @Test func minimalActionMustNotExceedTheMostDisruptiveAllowed() {
        let policy = UpdatePolicy(minimalAction: .replace, mostDisruptiveAllowedAction: .restart)
        #expect(policy.validate(targetSize: 3, zoneCount: 1) == [.minimalActionExceedsMostDisruptive])
        #expect(UpdatePolicy.InstanceAction.refresh < .restart)
        #expect(UpdatePolicy.InstanceAction.restart < .replace)
    }
}

@Suite("Version target sizes")
struct VersionTargetsTests {
    let stable = VersionSpec(name: "stable", instanceTemplate: "t1")

    @Test func aSingleVersionTakesTheWholeGroup() {
        #expect(VersionTargets.sizes(of: [stable], groupSize: 4) == [4])
    }

    @Test func aFixedCanaryGetsItsCountAndTheRestGoesToTheOtherVersion() {
        let canary = VersionSpec(name: "canary", instanceTemplate: "t2", targetSize: .fixed(1))
        #expect(VersionTargets.sizes(of: [stable, canary], groupSize: 3) == [2, 1])
    }

    @Test func aFixedCanaryIsCappedAtTheGroupSize() {
        let canary = VersionSpec(name: "canary", instanceTemplate: "t2", targetSize: .fixed(5))
        #expect(VersionTargets.sizes(of: [stable, canary], groupSize: 3) == [0, 3])
    }

    @Test func aSmallPercentCanaryStillGetsOneInstance() {
        let canary = VersionSpec(name: "canary", instanceTemplate: "t2", targetSize: .percent(10))
        #expect(VersionTargets.sizes(of: [stable, canary], groupSize: 3) == [2, 1])
    }

    @Test func percentRoundingFavoursTheVersionWithATargetSize() {
        // 60 % of 2 is 1.2: the canary gets 2.
        let canary = VersionSpec(name: "canary", instanceTemplate: "t2", targetSize: .percent(60))
        #expect(VersionTargets.sizes(of: [stable, canary], groupSize: 2) == [0, 2])
    }

    @Test func explicitTargetsThatOverflowAreServedInOrder() {
        let a = VersionSpec(name: "a", instanceTemplate: "ta", targetSize: .fixed(2))
        let b = VersionSpec(name: "b", instanceTemplate: "tb", targetSize: .fixed(2))
        #expect(VersionTargets.sizes(of: [stable, a, b], groupSize: 3) == [0, 2, 1])
    }

    @Test func withoutAVersionThatTakesTheRestTheLastOneDoes() {
        let a = VersionSpec(name: "a", instanceTemplate: "ta", targetSize: .fixed(1))
        let b = VersionSpec(name: "b", instanceTemplate: "tb", targetSize: .fixed(1))
        #expect(VersionTargets.sizes(of: [a, b], groupSize: 4) == [1, 3])
    }

    @Test func exactlyOneVersionMustLeaveTargetSizeUnset() {
        let a = VersionSpec(name: "a", instanceTemplate: "ta", targetSize: .fixed(1))
        #expect(VersionTargets.validate([a], groupSize: 3) == [.versionsNeedExactlyOneWithoutTargetSize(count: 0)])
        #expect(VersionTargets.validate([stable, stable], groupSize: 3)
            == [.versionsNeedExactlyOneWithoutTargetSize(count: 2), .duplicateVersionName("stable")])
        #expect(VersionTargets.validate([stable, a], groupSize: 3).isEmpty)
        #expect(VersionTargets.validate([], groupSize: 3) == [.noVersions])
    }
}
