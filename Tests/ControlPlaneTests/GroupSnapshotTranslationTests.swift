import Rollout
import Testing

@testable import ControlPlane

/// How the plane turns a stored group and its members into what the rollout planner decides on.
@Suite struct GroupSnapshotTranslationTests {
    static func member(_ name: String, id: String, status: String, action: String = "NONE",
                       template: String = "global/instanceTemplates/t1") -> GroupService.Member {
        GroupService.Member(name: name, zone: "z", instance: ["id": .string(id), "status": .string(status)],
                            vm: ["currentAction": .string(action), "template": .string(template), "createdAt": 5])
    }

    static let group: JSONValue = [
        "targetSize": 3,
        "versions": [["name": "v1", "instanceTemplate": "global/instanceTemplates/t1"],
                     ["instanceTemplate": "global/instanceTemplates/t2", "targetSize": ["fixed": 1]]],
        "updatePolicy": ["maxSurge": ["fixed": 2], "maxUnavailable": ["percent": 10], "minReadySec": 3],
    ]

    @Test func theGroupsSettingsWithGCEsDefaults() {
        var readiness = MinReadyClock()
        let (snapshot, _) = GroupSnapshotTranslation.snapshot(group: Self.group, members: [], zoneCount: 2,
                                                              health: { _ in nil }, readiness: &readiness, now: 0)
        #expect(snapshot.targetSize == 3 && snapshot.zoneCount == 2)
        #expect(snapshot.versions.map(\.name) == ["v1", "v1"], "an unnamed version is named by its position")
        #expect(snapshot.versions.map(\.targetSize) == [nil, .fixed(1)])
        #expect(snapshot.updatePolicy.maxSurge == .fixed(2) && snapshot.updatePolicy.maxUnavailable == .percent(10))
        #expect(snapshot.updatePolicy.type == .proactive && snapshot.updatePolicy.minimalAction == .replace
                && snapshot.updatePolicy.replacementMethod == .substitute)
    }

    @Test func statusesAsThePlannerKnowsThem() {
        var readiness = MinReadyClock()
        let members = [("PROVISIONING", InstanceStatus.creating), ("STAGING", .creating), ("RUNNING", .running),
                       ("STOPPING", .stopping), ("TERMINATED", .terminated)].enumerated().map { i, pair in
            (Self.member("vm-\(i)", id: "\(i)", status: pair.0), pair.1)
        }
        let (snapshot, changes) = GroupSnapshotTranslation.snapshot(group: Self.group, members: members.map(\.0), zoneCount: 1,
                                                                    health: { _ in nil }, readiness: &readiness, now: 0)
        #expect(snapshot.instances.map(\.status) == members.map(\.1))
        #expect(snapshot.instances.allSatisfy { $0.instanceTemplate == "global/instanceTemplates/t1" && $0.createdAt == 5 })
        #expect(changes.isEmpty)
    }

    @Test func aNewInstanceIsVerifiedUntilHealthy() {
        var readiness = MinReadyClock()
        func translate(_ status: String, _ action: String, _ health: HealthState?) -> (ManagedInstanceAction, GroupSnapshotTranslation.ActionChange?) {
            let (instance, change) = GroupSnapshotTranslation.instance(Self.member("vm", id: "7", status: status, action: action),
                                                                       health: health, readiness: &readiness, minReadySec: 0, now: 0)
            return (instance.currentAction, change)
        }
        #expect(translate("PROVISIONING", "CREATING", .unknown) == (.creating, nil))
        #expect(translate("RUNNING", "CREATING", .unknown) == (.verifying, .init(instanceID: "7", action: .verifying)))
        #expect(translate("RUNNING", "VERIFYING", .unhealthy) == (.verifying, nil))
        #expect(translate("RUNNING", "VERIFYING", .healthy) == (.none, .init(instanceID: "7", action: .none)))
        #expect(translate("RUNNING", "CREATING", nil) == (.none, .init(instanceID: "7", action: .none)), "no check: running is enough")
        #expect(translate("RUNNING", "RECREATING", .unhealthy) == (.recreating, nil), "other actions are left as stored")
    }

    @Test func aNewlyHealthyInstanceCountsAfterMinReadySec() {
        var readiness = MinReadyClock()
        let member = Self.member("vm", id: "9", status: "RUNNING", action: "VERIFYING")
        func ready(_ health: HealthState, at now: Double) -> Bool {
            let healths: [String: HealthState] = ["9": health]
            let (snapshot, _) = GroupSnapshotTranslation.snapshot(group: Self.group, members: [member], zoneCount: 1,
                                                                  health: { healths[$0] }, readiness: &readiness, now: now)
            return snapshot.instances[0].isReady
        }
        #expect(!ready(.unknown, at: 0))
        #expect(!ready(.healthy, at: 10))
        #expect(!ready(.healthy, at: 12.9))
        #expect(ready(.healthy, at: 13), "minReadySec 3 after it was first seen healthy")
    }
}
