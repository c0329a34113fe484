import Testing
@testable import ControlPlane

/// The pure pieces of the GCE rules the plane enforces (docs/serve.md, "GCE rules the plane
/// enforces"); the conformance suite (tests/conformance/test_gce_rules.py) checks them through
/// Google's clients.
@Suite struct GCERulesTests {
    /// The error a throwing call raises, as "STATUS reason".
    func error(_ call: () throws -> Void) -> String? {
        do { try call() } catch let error as APIError { return "\(error.status) \(error.reason)" } catch { return "\(error)" }
        return nil
    }

    // MARK: Forwarding rules

    func portRange(_ text: String?, address: String = "10.0.0.1", scheme: String = "EXTERNAL") throws -> String? {
        var body: JSONValue = ["IPAddress": .string(address), "loadBalancingScheme": .string(scheme)]
        if let text { body["portRange"] = .string(text) }
        try ForwardingRuleRules.normalisePortRange(&body)
        return body["portRange"]?.string
    }

    @Test func singlePortIsStoredAsARange() throws {
        #expect(try portRange("80") == "80-80")
        #expect(try portRange("8080-8080") == "8080-8080")
        #expect(try portRange(nil) == "80-80")
        #expect(try portRange("9000", scheme: "EXTERNAL_MANAGED") == "9000-9000")
    }

    @Test func classicSchemeTakesPorts80And8080UnlessLoopback() throws {
        #expect(error { _ = try portRange("81") } == "400 invalid")
        #expect(error { _ = try portRange("443") } == "400 invalid")
        #expect(try portRange("40123", address: "127.0.0.1") == "40123-40123")
        #expect(try portRange("40123", address: "127.1.2.3") == "40123-40123")
        #expect(try portRange("40123", address: "::1") == "40123-40123")
        #expect(error { _ = try portRange("40123", address: "128.0.0.1") } == "400 invalid")
    }

    @Test func malformedOrMultiPortRangesAreRefused() {
        for bad in ["", "0", "65536", "80-", "-80", "90-80", "8080-8081", "a", "80-80-80", "٨٠"] {
            #expect(error { _ = try portRange(bad, address: "127.0.0.1") } == "400 invalid", "\(bad)")
        }
    }

    // MARK: Backend services

    @Test func backendGroupMustBeAFullURL() {
        let plane = "http://127.0.0.1:8765"
        func check(_ url: String) -> String? {
            error { try BackendServiceRules.checkGroupURL(url, field: "resource.backends[0].group", planeBaseURL: plane) }
        }
        #expect(check("https://www.googleapis.com/compute/v1/projects/p/zones/z-a/instanceGroups/g") == nil)
        #expect(check("https://compute.googleapis.com/compute/v1/projects/p/regions/z/instanceGroups/g") == nil)
        #expect(check("\(plane)/compute/v1/projects/p/zones/z-a/instanceGroups/g") == nil)
        for partial in ["projects/p/zones/z-a/instanceGroups/g", "zones/z-a/instanceGroups/g", "g",
                        "http://127.0.0.1:9999/compute/v1/projects/p/zones/z-a/instanceGroups/g",
                        "https://www.googleapis.com/compute/v1/projects/p/zones/z-a/instanceGroupManagers/g"] {
            #expect(check(partial) == "400 invalid", "\(partial)")
        }
    }

    // MARK: Update policy

    func policy(_ body: JSONValue, zones: Int, regional: Bool) throws -> JSONValue {
        var group: JSONValue = ["updatePolicy": body]
        try UpdatePolicyRules.normalise(&group, zoneCount: zones, regional: regional)
        return group["updatePolicy"]!
    }

    @Test func defaultsAreTheZoneCount() throws {
        let filled = try policy([:], zones: 3, regional: true)
        #expect(filled["maxSurge"]?["fixed"]?.number == 3 && filled["maxUnavailable"]?["fixed"]?.number == 3)
        #expect(try policy(["replacementMethod": "RECREATE"], zones: 1, regional: false)["maxSurge"]?["fixed"]?.number == 0)
    }

    @Test func regionalFixedValuesAreZeroOrAtLeastTheZoneCount() throws {
        #expect(error { _ = try policy(["maxSurge": ["fixed": 1], "maxUnavailable": ["fixed": 0]], zones: 3, regional: true) } == "400 invalid")
        #expect(error { _ = try policy(["maxSurge": ["fixed": 3], "maxUnavailable": ["fixed": 2]], zones: 3, regional: true) } == "400 invalid")
        #expect(error { _ = try policy(["maxSurge": ["fixed": 3], "maxUnavailable": ["fixed": 0]], zones: 3, regional: true) } == nil)
        #expect(error { _ = try policy(["maxSurge": ["fixed": 4], "maxUnavailable": ["percent": 10]], zones: 3, regional: true) } == nil)
        #expect(error { _ = try policy(["maxSurge": ["fixed": 1], "maxUnavailable": ["fixed": 0]], zones: 1, regional: false) } == nil)
        #expect(error { _ = try policy(["maxSurge": ["fixed": 0], "maxUnavailable": ["fixed": 0]], zones: 1, regional: false) } == "400 invalid")
        #expect(error { _ = try policy(["replacementMethod": "RECREATE", "maxSurge": ["fixed": 1]], zones: 1, regional: false) } == "400 invalid")
    }

    // MARK: Disks

    func disk(_ machine: String, _ params: JSONValue?, image: Int64? = 1, zone: String? = nil) -> String? {
        error {
            try DiskRules.checkBootDisk(params, field: "resource.disks[0].initializeParams", machineType: Catalog.machineType(named: machine)!,
                                        imageSizeGb: image, zone: zone)
        }
    }

    @Test func diskSizeWithinTheTypeAndNotBelowTheImage() {
        #expect(disk("e2-small", ["diskType": "pd-balanced", "diskSizeGb": "10"]) == nil)
        #expect(disk("e2-small", ["diskType": "pd-balanced", "diskSizeGb": "9"]) == "400 invalid")
        #expect(disk("e2-small", ["diskType": "pd-balanced", "diskSizeGb": "65537"]) == "400 invalid")
        #expect(disk("e2-small", ["diskType": "pd-balanced", "diskSizeGb": "10"], image: 20) == "400 invalid")
        #expect(disk("e2-small", ["diskSizeGb": "10"], image: 10) == nil)
        #expect(disk("n2-standard-2", ["diskType": "pd-extreme", "diskSizeGb": "100"]) == "400 invalid")
        #expect(disk("n4-standard-2", ["diskType": "hyperdisk-balanced", "diskSizeGb": "4"]) == nil)
        #expect(disk("e2-small", nil) == nil)
    }

    @Test func machineSeriesDiskTypes() {
        #expect(disk("c3-standard-4", ["diskType": "pd-standard"]) == "400 invalid")
        #expect(disk("c3d-standard-4", ["diskType": "pd-standard"]) == "400 invalid")
        #expect(disk("c3-standard-4", ["diskType": "pd-balanced"]) == nil)
        #expect(disk("c3-standard-4", ["diskType": "hyperdisk-balanced"]) == nil)
        for machine in ["c4-standard-2", "c4a-standard-1", "c4d-standard-2", "n4-standard-2"] {
            for type in ["pd-standard", "pd-balanced", "pd-ssd"] {
                #expect(disk(machine, ["diskType": .string(type)]) == "400 invalid", "\(machine) \(type)")
            }
            #expect(disk(machine, ["diskType": "hyperdisk-balanced"]) == nil)
        }
        #expect(disk("e2-small", ["diskType": "hyperdisk-balanced"]) == "400 invalid")
        #expect(disk("c3-standard-4", ["diskType": "hyperdisk-throughput"]) == "400 invalid")
        #expect(DiskRules.defaultType(series: "n4") == "hyperdisk-balanced" && DiskRules.defaultType(series: "e2") == "pd-standard")
    }

    @Test func instancesNameDiskTypesByURLTemplatesByName() {
        #expect(disk("e2-small", ["diskType": "zones/z-a/diskTypes/pd-ssd"], zone: "z-a") == nil)
        #expect(disk("e2-small", ["diskType": "https://www.googleapis.com/compute/v1/projects/p/zones/z-a/diskTypes/pd-ssd"], zone: "z-a") == nil)
        #expect(disk("e2-small", ["diskType": "pd-ssd"], zone: "z-a") == "400 invalid")
        #expect(disk("e2-small", ["diskType": "zones/z-b/diskTypes/pd-ssd"], zone: "z-a") == "400 invalid")
        #expect(disk("e2-small", ["diskType": "zones/z-a/diskTypes/pd-ssd"]) == "400 invalid")
        let body = DiskRules.instanceBody(fromTemplateProperties: ["disks": [["initializeParams": ["diskType": "pd-ssd"]]]], zone: "z-a")
        #expect(body["disks"]?.array?.first?["initializeParams"]?["diskType"]?.string == "zones/z-a/diskTypes/pd-ssd")
    }

    // MARK: Networks

    @Test func cidrRanges() throws {
        let range = try #require(CIDR("10.20.0.0/24"))
        #expect(range.description == "10.20.0.0/24" && range.gateway == "10.20.0.1")
        #expect(CIDR("10.20.0.1/24") == nil && CIDR("10.20.0.0/33") == nil && CIDR("10.20.0/24") == nil && CIDR("x") == nil)
        #expect(range.overlaps(try #require(CIDR("10.20.0.128/25"))))
        #expect(range.overlaps(try #require(CIDR("10.0.0.0/8"))))
        #expect(!range.overlaps(try #require(CIDR("10.20.1.0/24"))))
        #expect(NetworkService.region(ofSubnetwork: "http://h/compute/v1/projects/p/regions/r1/subnetworks/s") == "r1")
    }

    // MARK: Fingerprints

    @Test func updatesOfTheLoadBalancerChainNeedTheFingerprint() {
        let current: JSONValue = ["fingerprint": "abc"]
        for collection in ["backendServices", "urlMaps", "targetHttpProxies"] {
            #expect(error { try OptimisticLocking.check(collection, request: [:], current: current) } == "412 conditionNotMet")
            #expect(error { try OptimisticLocking.check(collection, request: ["fingerprint": "old"], current: current) } == "412 conditionNotMet")
            #expect(error { try OptimisticLocking.check(collection, request: ["fingerprint": "abc"], current: current) } == nil)
        }
        #expect(error { try OptimisticLocking.check("firewalls", request: [:], current: current) } == nil)
        #expect(error { try OptimisticLocking.check("autoscalers", request: ["fingerprint": "old"], current: current) } == "412 conditionNotMet")
    }
}
