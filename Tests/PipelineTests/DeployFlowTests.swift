import Deploy
import DeployConfig
import Foundation
import GCEClient
import Testing

@testable import Pipeline

/// Steps of `sortie deploy` against a fake Compute Engine through the real client (retries,
/// request ids, operation waits), on a manual clock: no network, no QEMU, no sleeps.
struct DeployFlowTests {
    static let configuration = try! DeployConfiguration.parse("""
        app: hello
        build: { kernel: hello.elf }
        service:
          port: 80
          health: { path: /health, interval: 5s, healthy: 2 }
          instances: { min: 2, max: 2 }
        targets:
          prod: { project: sortie-test, zone: us-central1-a, bucket: sortie-test-releases }
        """)

    static func connection(_ fake: FakeCompute, clock: ManualClock) throws -> TargetConnection {
        let target = try configuration.target("prod")
        let client = GCEClient(target: GCETarget(project: "sortie-test", computeRoot: "https://compute.test", storageRoot: "https://storage.test"),
                               tokens: StaticToken("t"), transport: fake, clock: clock.clientClock)
        return TargetConnection(target: target, client: client, transport: fake, clock: clock.clientClock)
    }

    @Test func aRolloutWhoseAnswerWasLostIsRetriedWithTheSameRequestID() async throws {
        let old = FakeCompute.templateURL("hello-r000000000001-0123abcd"), new = FakeCompute.templateURL("hello-r000000000002-4567cdef")
        let fake = FakeCompute(template: old, healthyTemplates: [old, new])
        fake.state.withLock { $0.answersToLose = 1 }
        let clock = ManualClock()
        let driver = RolloutDriver(connection: try Self.connection(fake, clock: clock), names: ResourceNames(app: "hello"))
        let summary = try await driver.roll(to: new, release: "r000000000002", canary: 0, timeout: .seconds(300), reporter: SilentReporter())
        #expect(summary.contains("2 of 2 on hello-r000000000002-4567cdef"), "\(summary)")
        let (patches, ids) = fake.state.withLock { ($0.patches, $0.patchRequestIDs) }
        #expect(patches == [new, new], "the PATCH was sent again after its answer was lost")
        #expect(ids.count == 2 && ids[0] == ids[1] && !ids[0].isEmpty, "with the same requestId, so GCE applies it once: \(ids)")
        #expect(clock.slept > .zero && clock.slept < .seconds(10), "one short backoff, on the manual clock")
    }

    @Test func aPlanReadFromTheTargetShowsWhatChanges() async throws {
        let fake = FakeCompute(template: FakeCompute.templateURL("hello-r000000000001-0123abcd"), healthyTemplates: [])
        fake.state.withLock {
            // The health check exists with other timing; minReadySec was never set; nothing else exists.
            $0.resources["/compute/v1/projects/sortie-test/global/healthChecks/hello-health"] = #"""
                {"name":"hello-health","type":"HTTP","checkIntervalSec":10,"timeoutSec":5,"healthyThreshold":2,"unhealthyThreshold":3,
                 "httpHealthCheck":{"port":80,"requestPath":"/health"}}
                """#
            $0.resources["/compute/beta/projects/sortie-test/zones/us-central1-a/instanceGroupManagers/hello"] = #"{"name":"hello"}"#
        }
        let connection = try Self.connection(fake, clock: ManualClock())
        let names = ResourceNames(app: "hello")
        let existing = try await SetupApplier.readExisting(connection: connection, names: names)
        let desired = DesiredSetup(configuration: Self.configuration, target: try Self.configuration.target("prod"))
        let steps = SetupPlanner.plan(desired, existing: existing)
        func action(_ kind: SetupStep.Kind) -> SetupStep.Action? { steps.first { $0.kind == kind }?.action }
        guard case .update(let checkChanges)? = action(.healthCheck) else {
            Issue.record("the health check is not updated: \(steps)")
            return
        }
        #expect(checkChanges.contains("checkIntervalSec: 10 → 5"), "\(checkChanges)")
        guard case .update(let groupChanges)? = action(.group) else {
            Issue.record("the group is not updated: \(steps)")
            return
        }
        #expect(groupChanges.contains("updatePolicy.minReadySec: 0 → 25"), "\(groupChanges)")
        #expect(action(.backendService) == .create && action(.forwardingRule) == .create)
        // Reads only: nothing was changed on the target.
        #expect(fake.state.withLock { $0.requests }.allSatisfy { $0.hasPrefix("GET ") })
        #expect(fake.state.withLock { $0.patches }.isEmpty)
    }
}
