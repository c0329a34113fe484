import Testing
@testable import Rollout

/// The invariant of a surge rollout behind a load balancer (max-unavailable 0): at no moment does
/// the balancer have no healthy backend while a healthy instance exists. The group judges a new
/// instance with its autohealing check; the balancer with its own probes of the same endpoint,
/// which reach the same verdict up to one interval later. `updatePolicy.minReadySec` (what
/// `sortie deploy` sets: interval × (healthy threshold + 1) + one balancer pass) makes the group
/// wait for that verdict before it removes the old instance. Fake clock, fake probe series, no VMs.
@Suite("Balancer membership during a rollout")
struct BalancerOrderingTests {
    /// One rollout of a group of 1 from `old` to `new`, ticking every half second as the plane's
    /// reconciler does. The new instance boots for 2 s; the group's check finds it HEALTHY at
    /// 5 s; the balancer's own probes at 5 s + `balancerLag`. Returns the times (seconds) at which
    /// the balancer had no backend, and whether the old instance was removed at all.
    static func rollout(minReadySec: Double, balancerLag: Double) -> (gaps: [Double], replaced: Bool) {
        var clock = MinReadyClock()
        let policy = UpdatePolicy(maxSurge: .fixed(1), maxUnavailable: .fixed(0))
        let versions = [VersionSpec(name: "v2", instanceTemplate: "new")]
        var oldLeftAt: Double?
        var newCreatedAt: Double?
        var gaps: [Double] = []
        var t = 0.0
        while t <= 30 {
            // The instances as the reconciler sees them now.
            var instances: [ManagedInstanceSnapshot] = []
            if oldLeftAt == nil {
                let ready = clock.isReady("old", health: .healthy, minReadySec: minReadySec, now: t)
                instances.append(ManagedInstanceSnapshot(name: "old", instanceTemplate: "old", status: .running, health: .healthy,
                                                         isReady: ready))
            }
            if let created = newCreatedAt {
                let running = t - created >= 2
                let health: HealthState = t >= 5 ? .healthy : .unknown
                let ready = clock.isReady("new", health: health, minReadySec: minReadySec, now: t)
                instances.append(ManagedInstanceSnapshot(name: "new", instanceTemplate: "new", status: running ? .running : .creating,
                                                         health: health, currentAction: running ? (health == .healthy ? .none : .verifying) : .creating,
                                                         isReady: ready))
            }
            let plan = RolloutPlanner.plan(GroupSnapshot(targetSize: 1, versions: versions, updatePolicy: policy, instances: instances))
            for action in plan.actions {
                switch action {
                case .create: if newCreatedAt == nil { newCreatedAt = t }
                case .delete(let name) where name == "old": oldLeftAt = t  // leaves the balancer in this pass
                default: break
                }
            }
            // The balancer's view after this pass.
            let oldServes = oldLeftAt == nil
            let newServes = newCreatedAt != nil && t >= 5 + balancerLag
            if !oldServes && !newServes { gaps.append(t) }
            t += 0.5
        }
        return (gaps, oldLeftAt != nil)
    }

    @Test(arguments: [0.0, 0.5, 1.0])
    func withMinReadySecTheBalancerAlwaysHasABackend(lag: Double) {
        // interval 1 s, healthy threshold 1: 1 × (1 + 1) + 1.
        let result = Self.rollout(minReadySec: 3, balancerLag: lag)
        #expect(result.replaced, "the rollout finishes")
        #expect(result.gaps.isEmpty, "no backend at \(result.gaps) s")
    }

    @Test func withoutItTheBalancerLosesItsLastBackendWhenItsProbesLag() {
        let result = Self.rollout(minReadySec: 0, balancerLag: 1.0)
        #expect(result.replaced)
        #expect(!result.gaps.isEmpty, "the race the wait exists for")
    }

    @Test func readinessStartsWithEachHealthySpell() {
        var clock = MinReadyClock()
        func ready(_ id: String, _ health: HealthState?, _ now: Double, minReadySec: Double = 3) -> Bool {
            clock.isReady(id, health: health, minReadySec: minReadySec, now: now)
        }
        #expect(ready("serving", .healthy, 10), "healthy when first seen: serving for long")
        #expect(!ready("a", .unknown, 9))
        #expect(!ready("a", .healthy, 10))
        #expect(!ready("a", .healthy, 12.5))
        #expect(ready("a", .healthy, 13))
        #expect(!ready("a", .unhealthy, 14))
        #expect(!ready("a", .healthy, 15), "a new spell starts the wait again")
        #expect(ready("b", nil, 0), "no health check: the other rules decide")
        #expect(!ready("c", .unknown, 0, minReadySec: 0))
        #expect(ready("c", .healthy, 0, minReadySec: 0))
    }
}
