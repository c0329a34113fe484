import Foundation
import GCEModel
import Testing

@testable import Deploy

/// When `sortie deploy` considers a rollout finished, and what it prints while waiting.
struct RolloutProgressTests {
    static func instance(_ name: String, template: String, status: String = "RUNNING", action: String = "NONE",
                         health: String? = "HEALTHY") throws -> ManagedInstance {
        var json: [String: Any] = ["instance": "https://x/compute/v1/projects/p/zones/z/instances/\(name)", "instanceStatus": status,
                                   "currentAction": action,
                                   "version": ["instanceTemplate": "https://x/compute/v1/projects/p/global/instanceTemplates/\(template)"]]
        if let health { json["instanceHealth"] = [["healthCheck": "hc", "detailedHealthState": health]] }
        return try JSONDecoder().decode(ManagedInstance.self, from: JSONSerialization.data(withJSONObject: json))
    }

    static func group(stable: Bool, reached: Bool, size: Int) throws -> InstanceGroupManager {
        let json: [String: Any] = ["name": "hello", "targetSize": size,
                                   "status": ["isStable": stable, "versionTarget": ["isReached": reached]]]
        return try JSONDecoder().decode(InstanceGroupManager.self, from: JSONSerialization.data(withJSONObject: json))
    }

    @Test func doneOnlyWhenStableReachedAndEveryInstanceHealthyOnTheRelease() throws {
        let done = RolloutProgress.assess(group: try Self.group(stable: true, reached: true, size: 2),
                                          instances: [try Self.instance("a", template: "hello-r2"), try Self.instance("b", template: "hello-r2")],
                                          template: "hello-r2")
        #expect(done.state == .done)
        #expect(done.summary == "2 of 2 on hello-r2, 2 healthy")
    }

    @Test func anOldInstanceLeftOrAnUnhealthyNewOneKeepsItWaiting() throws {
        let group = try Self.group(stable: true, reached: true, size: 2)
        let mixed = RolloutProgress.assess(group: group, instances: [try Self.instance("a", template: "hello-r1"),
                                                                     try Self.instance("b", template: "hello-r2")], template: "hello-r2")
        #expect(mixed.state == .waiting)
        let unhealthy = RolloutProgress.assess(group: group, instances: [try Self.instance("a", template: "hello-r2", health: "UNHEALTHY"),
                                                                         try Self.instance("b", template: "hello-r2")], template: "hello-r2")
        #expect(unhealthy.state == .waiting)
        #expect(unhealthy.unhealthyNewInstances == ["a"])
        let notStable = RolloutProgress.assess(group: try Self.group(stable: false, reached: true, size: 1),
                                               instances: [try Self.instance("b", template: "hello-r2", action: "VERIFYING")], template: "hello-r2")
        #expect(notStable.state == .waiting)
        #expect(notStable.summary == "1 of 1 on hello-r2, 0 healthy; group not stable yet; b verifying")
    }

    @Test func aCanaryNeedsOnlyItsCountOnTheNewRelease() throws {
        let progress = RolloutProgress.assess(group: try Self.group(stable: true, reached: true, size: 3),
                                              instances: [try Self.instance("a", template: "hello-r1"), try Self.instance("b", template: "hello-r1"),
                                                          try Self.instance("c", template: "hello-r2")],
                                              template: "hello-r2", atLeast: 1)
        #expect(progress.state == .done)
    }

    @Test func withAutohealingAnInstanceWithNoHealthReportIsNotHealthyYet() throws {
        var group = try Self.group(stable: true, reached: true, size: 1)
        let unreported = [try Self.instance("a", template: "hello-r2", health: nil)]
        #expect(RolloutProgress.assess(group: group, instances: unreported, template: "hello-r2").state == .done,
                "without a health check, RUNNING is serving")
        group.autoHealingPolicies = [.init(healthCheck: "global/healthChecks/hello-health", initialDelaySec: 30)]
        let waiting = RolloutProgress.assess(group: group, instances: unreported, template: "hello-r2")
        #expect(waiting.state == .waiting)
        #expect(waiting.summary == "1 of 1 on hello-r2, 0 healthy")
        #expect(RolloutProgress.assess(group: group, instances: [try Self.instance("a", template: "hello-r2")], template: "hello-r2").state == .done)
    }

    @Test func anEmptyGroupIsNeverDone() throws {
        let progress = RolloutProgress.assess(group: try Self.group(stable: true, reached: true, size: 0), instances: [], template: "hello-r2")
        #expect(progress.state == .waiting)
    }
}

/// Releases from images: provenance round trip, which is live, what rollback and gc pick.
struct ReleaseHistoryTests {
    let names = ResourceNames(app: "hello")

    func image(_ release: String, created: String, status: String = "READY") -> Image {
        let provenance = Provenance(release: release, gitCommit: "0123456789abcdef0123456789abcdef01234567", gitDirty: true,
                                    kernelSHA256: String(repeating: "a", count: 64), imageSHA256: String(repeating: "b", count: 64),
                                    buildCommand: "make", tools: ["sortie": "0.1.0", "qemu": "7.2.15"])
        var image = Image(name: names.image(release: release), family: "hello", description: provenance.imageDescription,
                          labels: provenance.labels)
        image.creationTimestamp = created
        image.status = status
        return image
    }

    @Test func provenanceLabelsFollowGCERulesAndTheDescriptionRoundTrips() {
        let provenance = Provenance(release: "r0123456789ab", gitCommit: "ABCDEF", gitDirty: false, kernelSHA256: String(repeating: "c", count: 64),
                                    imageSHA256: String(repeating: "d", count: 64), buildCommand: "dune build", tools: ["sortie": "0.1.0"])
        for (key, value) in provenance.labels {
            #expect(value.count <= 63 && key.count <= 63)
            #expect(value.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_" }, "label \(key)=\(value)")
        }
        #expect(provenance.labels["sortie-version"] == "0-1-0")
        #expect(provenance.labels["git-commit"] == "abcdef")
        #expect(Provenance.parse(imageDescription: provenance.imageDescription) == provenance)
        #expect(Provenance.parse(imageDescription: "someone else's image") == nil)
    }

    @Test func newestFirstWithTheLiveOneMarkedAndOtherImagesIgnored() {
        var foreign = Image(name: "debian-12", family: "hello")
        foreign.creationTimestamp = "2026-01-09T00:00:00.000+00:00"
        let history = ReleaseHistory(names: names, images: [image("r000000000001", created: "2026-01-01T00:00:00.000+00:00"), foreign,
                                                            image("r000000000003", created: "2026-01-03T00:00:00.000+00:00"),
                                                            image("r000000000002", created: "2026-01-02T00:00:00.000+00:00")],
                                     liveTemplates: ["https://x/projects/p/global/instanceTemplates/hello-r000000000002"])
        #expect(history.releases.map(\.id) == ["r000000000003", "r000000000002", "r000000000001"])
        #expect(history.live.map(\.id) == ["r000000000002"])
        #expect(history.previous?.id == "r000000000001")
        #expect(history.releases[0].provenance?.gitDirty == true)
    }

    @Test func gcKeepsTheNewestAndAnythingLiveOrProtected() {
        let history = ReleaseHistory(names: names, images: (1...5).map { image("r00000000000\($0)", created: "2026-01-0\($0)T00:00:00Z") },
                                     liveTemplates: ["global/instanceTemplates/hello-r000000000001"])
        #expect(history.collectable(keep: 2).map(\.id) == ["r000000000003", "r000000000002"])
        #expect(history.collectable(keep: 2, protected: ["r000000000002"]).map(\.id) == ["r000000000003"])
        #expect(history.collectable(keep: 10).isEmpty)
    }

    @Test func rollbackSkipsImagesThatAreNotReady() {
        let history = ReleaseHistory(names: names, images: [image("r000000000001", created: "2026-01-01T00:00:00Z"),
                                                            image("r000000000002", created: "2026-01-02T00:00:00Z", status: "FAILED"),
                                                            image("r000000000003", created: "2026-01-03T00:00:00Z")],
                                     liveTemplates: ["hello-r000000000003"])
        #expect(history.previous?.id == "r000000000001")
    }
}
