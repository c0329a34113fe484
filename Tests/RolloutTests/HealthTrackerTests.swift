import Testing
@testable import Rollout

@Suite("Health tracker")
struct HealthTrackerTests {
    let policy = HealthCheckPolicy(checkIntervalSec: 5, timeoutSec: 5, healthyThreshold: 2, unhealthyThreshold: 3)

    @Test func aNewInstanceIsUnknown() {
        let tracker = HealthTracker(policy: policy)
        #expect(tracker.state == .unknown)
        #expect(tracker.unhealthySince == nil)
    }

    @Test func oneSuccessIsNotEnoughToBeHealthy() {
        var tracker = HealthTracker(policy: policy)
        tracker.record(success: true, at: 0)
        #expect(tracker.state == .unknown)
        tracker.record(success: true, at: 5)
        #expect(tracker.state == .healthy)
        #expect(tracker.healthySince == 5)
    }

    @Test func becomesUnhealthyOnlyAfterTheThresholdOfConsecutiveFailures() {
        var tracker = HealthTracker(policy: policy)
        tracker.record(success: true, at: 0)
        tracker.record(success: true, at: 5)
        tracker.record(success: false, at: 10)
        tracker.record(success: false, at: 15)
        #expect(tracker.state == .healthy)
        tracker.record(success: false, at: 20)
        #expect(tracker.state == .unhealthy)
        #expect(tracker.unhealthySince == 20)
        #expect(tracker.healthySince == nil)
    }

    @Test func aSuccessInBetweenRestartsTheFailureCount() {
        var tracker = HealthTracker(policy: policy)
        tracker.record(success: true, at: 0)
        tracker.record(success: true, at: 5)
        for (index, result) in [false, false, true, false, false].enumerated() {
            tracker.record(success: result, at: Double(10 + 5 * index))
        }
        #expect(tracker.state == .healthy)
    }

    @Test func aFlappingInstanceStaysInItsState() {
        var tracker = HealthTracker(policy: policy)
        for t in 0..<3 { tracker.record(success: false, at: Double(t) * 5) }
        #expect(tracker.state == .unhealthy)
        for t in 3..<12 { tracker.record(success: t % 2 == 0, at: Double(t) * 5) }
        #expect(tracker.state == .unhealthy)
        #expect(tracker.unhealthySince == 10)
    }

    @Test func recoversAfterTheHealthyThreshold() {
        var tracker = HealthTracker(policy: policy)
        for t in 0..<3 { tracker.record(success: false, at: Double(t)) }
        tracker.record(success: true, at: 3)
        tracker.record(success: true, at: 4)
        #expect(tracker.state == .healthy)
        #expect(tracker.unhealthySince == nil)
    }

    @Test func probesAreDueEveryInterval() {
        var tracker = HealthTracker(policy: policy)
        #expect(tracker.isProbeDue(at: 0))
        tracker.record(success: true, at: 0)
        #expect(!tracker.isProbeDue(at: 4.9))
        #expect(tracker.isProbeDue(at: 5))
    }

    @Test func resetForgetsEverything() {
        var tracker = HealthTracker(policy: policy)
        for t in 0..<3 { tracker.record(success: false, at: Double(t)) }
        tracker.reset()
        #expect(tracker == HealthTracker(policy: policy))
    }

    @Test func timeoutLongerThanIntervalIsRejected() {
        #expect(HealthCheckPolicy().validate().isEmpty)
        #expect(HealthCheckPolicy(checkIntervalSec: 5, timeoutSec: 10).validate()
            == [.outOfRange(field: "timeoutSec", reason: "must not be greater than checkIntervalSec")])
        #expect(HealthCheckPolicy(healthyThreshold: 0).validate().count == 1)
    }
}
