import Testing
@testable import Rollout

/// `count` instances that have been running since time 0, each at `utilization`.
func loads(_ count: Int, _ utilization: Double, since: Double = -1000) -> [InstanceLoad] {
    Array(repeating: InstanceLoad(utilization: utilization, runningSince: since), count: count)
}

@Suite("Autoscaler")
struct AutoscalerTests {
    let policy = AutoscalerPolicy(minNumReplicas: 1, maxNumReplicas: 10, coolDownPeriodSec: 60,
                                  cpuUtilizationTarget: 0.6, stabilizationPeriodSec: 600)

    @Test func scalesOutWithinOneObservationAfterLoadAppears() {
        var autoscaler = Autoscaler(policy: policy)
        #expect(autoscaler.observe(instances: loads(2, 0.3), currentSize: 2, now: 0).targetSize == nil)
        let decision = autoscaler.observe(instances: loads(2, 0.9), currentSize: 2, now: 15)
        // 1.8 vCPUs of load at 60 % per instance: 3 instances.
        #expect(decision.targetSize == 3)
        #expect(decision.recommendedSize == 3)
        #expect(decision.reason == .scaleOut)
    }

    @Test func atTheTargetUtilizationNothingChanges() {
        var autoscaler = Autoscaler(policy: policy)
        let decision = autoscaler.observe(instances: loads(3, 0.6), currentSize: 3, now: 0)
        #expect(decision.targetSize == nil)
        #expect(decision.recommendedSize == 3)
        #expect(decision.reason == .steady)
    }

    @Test func initializingInstancesAreNotCounted() {
        var autoscaler = Autoscaler(policy: policy)
        // Two settled instances at 60 %, two new ones (30 s old) at 100 % while they initialize.
        let instances = loads(2, 0.6) + loads(2, 1.0, since: 70)
        let decision = autoscaler.observe(instances: instances, currentSize: 4, now: 100)
        #expect(decision.recommendedSize == 4)
        #expect(decision.targetSize == nil)
    }

    @Test func instancesStillInitializingAfterAScaleOutDoNotCauseAnotherOne() {
        var autoscaler = Autoscaler(policy: policy)
        #expect(autoscaler.observe(instances: loads(2, 0.9), currentSize: 2, now: 0).targetSize == 3)
        // The third instance initializes; the first two still carry the whole load.
        let decision = autoscaler.observe(instances: loads(2, 0.9) + loads(1, 0.1, since: 10), currentSize: 3, now: 30)
        #expect(decision.targetSize == nil)
    }

    @Test func withoutAnyInitializedInstanceTheSizeIsKept() {
        var autoscaler = Autoscaler(policy: policy)
        let decision = autoscaler.observe(instances: loads(3, 0.0, since: 0), currentSize: 3, now: 10)
        #expect(decision.targetSize == nil)
        #expect(decision.reason == .noData)
    }

    @Test func scalesInOnlyAfterTheStabilizationPeriod() {
        var autoscaler = Autoscaler(policy: policy)
        #expect(autoscaler.observe(instances: loads(4, 0.6), currentSize: 4, now: 0).targetSize == nil)
        for t in stride(from: 15.0, through: 600, by: 15) {
            let decision = autoscaler.observe(instances: loads(4, 0.1), currentSize: 4, now: t)
            #expect(decision.targetSize == nil, "at \(t) s")
            #expect(decision.reason == .stabilizing)
        }
        let decision = autoscaler.observe(instances: loads(4, 0.1), currentSize: 4, now: 615)
        #expect(decision.targetSize == 1)
        #expect(decision.reason == .scaleIn)
    }

    @Test func scalesInToThePeakOfTheStabilizationPeriod() {
        var autoscaler = Autoscaler(policy: policy)
        _ = autoscaler.observe(instances: loads(6, 0.6), currentSize: 6, now: 0)
        _ = autoscaler.observe(instances: loads(6, 0.3), currentSize: 6, now: 300)   // needs 3
        let decision = autoscaler.observe(instances: loads(6, 0.1), currentSize: 6, now: 601)  // needs 1
        #expect(decision.targetSize == 3)
    }

    @Test func aNewAutoscalerWatchesAWholePeriodBeforeScalingIn() {
        var autoscaler = Autoscaler(policy: policy)
        #expect(autoscaler.observe(instances: loads(5, 0.0), currentSize: 5, now: 0).targetSize == nil)
        #expect(autoscaler.observe(instances: loads(5, 0.0), currentSize: 5, now: 599).targetSize == nil)
        #expect(autoscaler.observe(instances: loads(5, 0.0), currentSize: 5, now: 601).targetSize == 1)
    }

    @Test func loadReturningAfterAScaleInScalesOutAtOnce() {
        var autoscaler = Autoscaler(policy: AutoscalerPolicy(minNumReplicas: 1, maxNumReplicas: 10, stabilizationPeriodSec: 60))
        _ = autoscaler.observe(instances: loads(4, 0.0), currentSize: 4, now: 0)
        #expect(autoscaler.observe(instances: loads(4, 0.0), currentSize: 4, now: 61).targetSize == 1)
        #expect(autoscaler.observe(instances: loads(1, 1.0), currentSize: 1, now: 76).targetSize == 2)
    }

    @Test func neverAboveTheMaximum() {
        var autoscaler = Autoscaler(policy: policy)
        let decision = autoscaler.observe(instances: loads(8, 1.0), currentSize: 8, now: 0)
        #expect(decision.targetSize == 10)
        #expect(decision.statusDetails.contains(.cappedAtMaxNumReplicas))
    }

    @Test func neverBelowTheMinimum() {
        var autoscaler = Autoscaler(policy: AutoscalerPolicy(minNumReplicas: 2, maxNumReplicas: 10, stabilizationPeriodSec: 0))
        let decision = autoscaler.observe(instances: loads(4, 0.0), currentSize: 4, now: 0)
        #expect(decision.targetSize == 2)
    }

    @Test func aGroupBelowTheMinimumIsRaisedEvenWithoutData() {
        var autoscaler = Autoscaler(policy: AutoscalerPolicy(minNumReplicas: 3, maxNumReplicas: 10))
        let decision = autoscaler.observe(instances: [], currentSize: 1, now: 0)
        #expect(decision.targetSize == 3)
        #expect(decision.reason == .scaleOut)
    }

    @Test func aLoweredMaximumAppliesAtOnce() {
        var autoscaler = Autoscaler(policy: policy)
        _ = autoscaler.observe(instances: loads(8, 0.6), currentSize: 8, now: 0)
        autoscaler.policy.maxNumReplicas = 5
        let decision = autoscaler.observe(instances: loads(8, 0.6), currentSize: 8, now: 15)
        #expect(decision.targetSize == 5)
    }

    @Test func minEqualToMaxIsReported() {
        var autoscaler = Autoscaler(policy: AutoscalerPolicy(minNumReplicas: 3, maxNumReplicas: 3))
        let decision = autoscaler.observe(instances: loads(3, 1.0), currentSize: 3, now: 0)
        #expect(decision.targetSize == nil)
        #expect(decision.statusDetails.contains(.minEqualsMax))
    }

    @Test func modeOffReportsARecommendationButNeverResizes() {
        var off = policy
        off.mode = .off
        var autoscaler = Autoscaler(policy: off)
        let decision = autoscaler.observe(instances: loads(2, 1.0), currentSize: 2, now: 0)
        #expect(decision.recommendedSize == 4)
        #expect(decision.targetSize == nil)
        #expect(decision.reason == .blockedByMode)
        #expect(decision.statusDetails == [.modeOff])
    }

    @Test(arguments: [AutoscalerPolicy.Mode.onlyScaleOut, .onlyUp])
    func onlyScaleOutNeverScalesIn(_ mode: AutoscalerPolicy.Mode) {
        var restricted = policy
        restricted.mode = mode
        restricted.stabilizationPeriodSec = 0
        var autoscaler = Autoscaler(policy: restricted)
        #expect(autoscaler.observe(instances: loads(2, 1.0), currentSize: 2, now: 0).targetSize == 4)
        let decision = autoscaler.observe(instances: loads(4, 0.0), currentSize: 4, now: 1000)
        #expect(decision.recommendedSize == 1)
        #expect(decision.targetSize == nil)
        #expect(decision.reason == .blockedByMode)
        #expect(decision.statusDetails == [mode == .onlyUp ? .modeOnlyUp : .modeOnlyScaleOut])
    }

    @Test func scaleInControlRemovesAtMostItsLimitPerWindow() {
        var limited = policy
        limited.stabilizationPeriodSec = 60
        limited.scaleInControl = .init(maxScaledInReplicas: .fixed(2), timeWindowSec: 300)
        var autoscaler = Autoscaler(policy: limited)
        var size = 10
        var sizes: [Double: Int] = [:]
        _ = autoscaler.observe(instances: loads(10, 0.6), currentSize: size, now: 0)
        for t in stride(from: 15.0, through: 900, by: 15) {
            let decision = autoscaler.observe(instances: loads(size, 0.0), currentSize: size, now: t)
            if let target = decision.targetSize {
                size = target
                sizes[t] = target
            }
        }
        // The load vanished at 15 s; stabilization allows scaling in from 75 s; then 2 per 300 s.
        #expect(sizes == [75: 8, 390: 6, 705: 4])
    }

    @Test func aPercentScaleInControlIsAPercentOfThePeak() {
        var limited = policy
        limited.stabilizationPeriodSec = 0
        limited.scaleInControl = .init(maxScaledInReplicas: .percent(25), timeWindowSec: 600)
        var autoscaler = Autoscaler(policy: limited)
        let decision = autoscaler.observe(instances: loads(10, 0.0), currentSize: 10, now: 0)
        // 25 % of 10 is 2.5, rounded up to 3.
        #expect(decision.targetSize == 7)
        #expect(decision.reason == .scaleInLimited)
    }

    @Test func utilizationOutsideZeroToOneIsClamped() {
        var autoscaler = Autoscaler(policy: policy)
        let decision = autoscaler.observe(instances: loads(1, 5.0) + loads(1, -1.0), currentSize: 2, now: 0)
        #expect(decision.recommendedSize == 2)
    }

    @Test func policyValidation() {
        #expect(policy.validate().isEmpty)
        #expect(AutoscalerPolicy(minNumReplicas: 5, maxNumReplicas: 2).validate().count == 1)
        #expect(AutoscalerPolicy(maxNumReplicas: 2, cpuUtilizationTarget: 0).validate().count == 1)
        #expect(AutoscalerPolicy(maxNumReplicas: 2, cpuUtilizationTarget: 1.5).validate().count == 1)
        #expect(AutoscalerPolicy.Mode(rawValue: "ONLY_UP")?.scalesIn == false)
    }
}
