import Deploy
import DeployConfig
import Foundation
import GCEClient
import Testing

@testable import Pipeline

/// The rollout step without a network or real time: a fake group behind a scripted transport and
/// a manual clock, so a 5-minute timeout takes no time at all.
struct RolloutDriverTests {
    static let configuration = try! DeployConfiguration.parse("""
        app: hello
        build: { kernel: hello.elf }
        service: { port: 80 }
        targets:
          prod: { project: sortie-test, zone: us-central1-a, bucket: sortie-test-releases }
        """)

    func driver(_ fake: FakeCompute, clock: ManualClock) throws -> RolloutDriver {
        let target = try Self.configuration.target("prod")
        let client = GCEClient(target: GCETarget(project: "sortie-test", computeRoot: "https://compute.test", storageRoot: "https://storage.test"),
                               tokens: StaticToken("t"), transport: fake, clock: clock.clientClock)
        return RolloutDriver(connection: TargetConnection(target: target, client: client, transport: fake, clock: clock.clientClock),
                             names: ResourceNames(app: "hello"))
    }

    @Test func aReleaseThatNeverBecomesHealthyTimesOutAndIsRolledBack() async throws {
        let old = FakeCompute.templateURL("hello-r000000000001-0123abcd"), new = FakeCompute.templateURL("hello-r000000000002-4567cdef")
        let fake = FakeCompute(template: old, healthyTemplates: [old])
        let clock = ManualClock()
        let rollout = try driver(fake, clock: clock)
        do {
            _ = try await rollout.roll(to: new, release: "r000000000002", canary: 0, timeout: .seconds(300), reporter: SilentReporter())
            Issue.record("a release that never became healthy was reported as rolled out")
        } catch let error as DeployError {
            #expect(error.step == "rollout")
            #expect(error.rolledBack)
            #expect(error.message.contains("did not become healthy within 300 s"), "\(error.message)")
            #expect(error.message.contains("Rolled back: every instance runs r000000000001 again"), "\(error.message)")
            #expect(error.console.contains("PANIC: cannot bind port 80"), "the failing instance's console: \(error.console)")
        }
        #expect(fake.state.withLock { $0.patches } == [new, old], "moved to the release, then back")
        // It waited out the whole timeout, one poll interval at a time, without real time passing.
        #expect(clock.slept >= .seconds(300) && clock.slept < .seconds(310))
    }

    @Test func aHealthyReleaseIsDoneWithoutWaiting() async throws {
        let old = FakeCompute.templateURL("hello-r000000000001-0123abcd"), new = FakeCompute.templateURL("hello-r000000000002-4567cdef")
        let fake = FakeCompute(template: old, healthyTemplates: [old, new])
        let clock = ManualClock()
        let summary = try await driver(fake, clock: clock).roll(to: new, release: "r000000000002", canary: 0, timeout: .seconds(300),
                                                                   reporter: SilentReporter())
        #expect(summary.contains("2 of 2 on hello-r000000000002-4567cdef, 2 healthy"), "\(summary)")
        #expect(fake.state.withLock { $0.patches } == [new])
        #expect(clock.slept == .zero)
    }

    @Test func aCanaryGoesFirstThenEveryInstance() async throws {
        let old = FakeCompute.templateURL("hello-r000000000001-0123abcd"), new = FakeCompute.templateURL("hello-r000000000002-4567cdef")
        let fake = FakeCompute(template: old, healthyTemplates: [old, new])
        _ = try await driver(fake, clock: ManualClock()).roll(to: new, release: "r000000000002", canary: 1, timeout: .seconds(300),
                                                              reporter: SilentReporter())
        let patches = fake.state.withLock { $0.requests }.filter { $0.hasPrefix("PATCH") }
        #expect(patches.count == 2, "canary, then promotion: \(patches)")
    }
}
