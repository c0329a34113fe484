import DeployConfig
import GCEModel
import Testing

@testable import Deploy

/// The one-time setup `sortie deploy --plan` shows: names, what sortie.yml asks for, and the diff
/// against what a target already has.
struct SetupPlanTests {
    static let yaml = """
        app: hello
        build:
          kernel: dist/hello.virtio
        service:
          port: 8080
          health: { path: /healthz, interval: 5s, timeout: 5s, healthy: 2, unhealthy: 3, initial-delay: 45s }
          instances: { min: 2, max: 6 }
          autoscale: { cpu: 0.6, cooldown: 90s }
          rollout: { max-surge: 1, max-unavailable: 0 }
        targets:
          local: {}
          production: { project: my-proj, zone: us-west1-a, bucket: my-unikernels }
        """

    func desired(_ target: String = "production") throws -> DesiredSetup {
        let configuration = try DeployConfiguration.parse(Self.yaml)
        return DesiredSetup(configuration: configuration, target: try configuration.target(target))
    }

    @Test func namesFitGCEAndReleasesAreContentAddressed() {
        let names = ResourceNames(app: String(repeating: "a", count: DeployConfiguration.maximumAppLength))
        let release = ResourceNames.releaseID(archiveSHA256: "ABCDEF0123456789" + String(repeating: "0", count: 48))
        #expect(release == "rabcdef012345")
        let all = [names.healthCheck, names.firewall, names.group, names.autoscaler, names.backendService, names.urlMap,
                   names.httpProxy, names.forwardingRule, names.image(release: release), names.template(release: release, variant: "0123abcd")]
        for name in all {
            #expect(name.count <= 63, "\(name) is longer than GCE allows")
            #expect(name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" })
        }
        #expect(names.release(ofResource: names.template(release: release, variant: "0123abcd")) == release)
        #expect(names.release(ofResource: names.image(release: release)) == release)
        #expect(names.release(ofResource: names.healthCheck) == nil)
        #expect(names.release(ofResource: names.image(release: release) + "-xyz") == nil)
    }

    @Test func setupFollowsTheConfiguration() throws {
        let setup = try desired()
        #expect(setup.healthCheck.httpHealthCheck?.requestPath == "/healthz")
        #expect(setup.healthCheck.httpHealthCheck?.port == 8080)
        #expect(setup.healthCheck.unhealthyThreshold == 3)
        #expect(setup.firewall.allowed == [Firewall.Rule(ipProtocol: "tcp", ports: ["8080"])])
        #expect(setup.firewall.targetTags == ["hello-serving"])
        #expect(setup.group.autoHealingPolicies?.first?.initialDelaySec == 45)
        #expect(setup.group.updatePolicy?.maxSurge == GCEModel.FixedOrPercent(fixed: 1))
        #expect(setup.group.targetSize == 2)
        #expect(setup.autoscaler?.target == "projects/my-proj/zones/us-west1-a/instanceGroupManagers/hello")
        #expect(setup.autoscaler?.autoscalingPolicy?.maxNumReplicas == 6)
        #expect(setup.autoscaler?.autoscalingPolicy?.coolDownPeriodSec == 90)
        #expect(setup.backendService.backends?.first?.group == "projects/my-proj/zones/us-west1-a/instanceGroups/hello",
                "a placeholder: deploy sends the group manager's fully qualified instanceGroup URL")
        #expect(setup.forwardingRule.portRange == "80-80", "GCE stores a single port as N-N")
        #expect(setup.forwardingRule.ipAddress == nil, "GCE assigns the address of a cloud target")
        #expect(try desired("local").forwardingRule.ipAddress == "127.0.0.1", "the local plane listens on loopback")
    }

    @Test func firstDeployCreatesEverythingInDependencyOrder() throws {
        let steps = SetupPlanner.plan(try desired(), existing: ExistingSetup())
        #expect(steps.map(\.kind) == [.healthCheck, .firewall, .group, .autoscaler, .backendService, .urlMap, .httpProxy, .forwardingRule])
        #expect(steps.allSatisfy { $0.action == .create })
        #expect(steps[0].description == "+ create health check hello-health")
    }

    @Test func secondDeployKeepsWhatMatchesAndShowsWhatDiffers() throws {
        let setup = try desired()
        var existing = ExistingSetup()
        existing.healthCheck = setup.healthCheck
        existing.healthCheck?.checkIntervalSec = 10
        existing.healthCheck?.selfLink = "https://compute.googleapis.com/compute/v1/projects/my-proj/global/healthChecks/hello-health"
        existing.firewall = setup.firewall
        existing.group = setup.group
        existing.groupMinReadySec = setup.minReadySec
        // What the rollout and the autoscaler own never makes the group differ.
        existing.group?.targetSize = 5
        existing.group?.versions = [.init(name: "r1", instanceTemplate: "global/instanceTemplates/hello-r1")]
        existing.backendService = setup.backendService
        // References come back as full URLs.
        existing.urlMap = UrlMap(name: "hello-urls", defaultService: "https://compute.googleapis.com/compute/v1/projects/my-proj/global/backendServices/hello-backend")
        let steps = SetupPlanner.plan(setup, existing: existing)
        let byKind = Dictionary(uniqueKeysWithValues: steps.map { ($0.kind, $0.action) })
        #expect(byKind[.healthCheck] == .update(["checkIntervalSec: 10 → 5"]))
        #expect(byKind[.firewall] == .keep)
        #expect(byKind[.group] == .keep)
        #expect(byKind[.autoscaler] == .create)
        #expect(byKind[.backendService] == .keep)
        #expect(byKind[.urlMap] == .keep)
        #expect(byKind[.httpProxy] == .create)
        #expect(steps[0].description == "~ update health check hello-health: checkIntervalSec: 10 → 5")
    }

    @Test func noAutoscalerWithoutAutoscaling() throws {
        let yaml = Self.yaml.replacingOccurrences(of: "  autoscale: { cpu: 0.6, cooldown: 90s }\n", with: "")
            .replacingOccurrences(of: "max: 6", with: "max: 2")
        let configuration = try DeployConfiguration.parse(yaml)
        let setup = DesiredSetup(configuration: configuration, target: try configuration.target("production"))
        #expect(setup.autoscaler == nil)
        #expect(!SetupPlanner.plan(setup, existing: ExistingSetup()).contains { $0.kind == .autoscaler })
    }

    // MARK: What real GCE would reject or rewrite (issue 10)

    @Test func aForwardingRuleThatGCEReturnsAsARangeIsKept() throws {
        let setup = try desired()
        var existing = ExistingSetup()
        existing.forwardingRule = setup.forwardingRule
        existing.forwardingRule?.portRange = "80-80"
        #expect(SetupPlanner.plan(setup, existing: existing).first { $0.kind == .forwardingRule }?.action == .keep)
        existing.forwardingRule?.portRange = "8080-8080"
        #expect(SetupPlanner.plan(setup, existing: existing).first { $0.kind == .forwardingRule }?.action
                == .update(["portRange: 8080-8080 → 80-80"]))
        #expect(DesiredSetup.normalisedPortRange("80") == "80-80")
        #expect(DesiredSetup.normalisedPortRange("80-80") == "80-80")
    }

    @Test func firewallSourceRangesCompareAsSets() throws {
        let setup = try desired()
        var existing = ExistingSetup()
        existing.firewall = setup.firewall
        existing.firewall?.sourceRanges = DesiredSetup.healthCheckRanges.reversed()
        #expect(SetupPlanner.plan(setup, existing: existing).first { $0.kind == .firewall }?.action == .keep)
    }

    static let fixedSizeYAML = yaml.replacingOccurrences(of: "  autoscale: { cpu: 0.6, cooldown: 90s }\n", with: "")
        .replacingOccurrences(of: "max: 6", with: "max: 2")

    @Test func aFixedSizeGroupIsResizedToInstancesMin() throws {
        let configuration = try DeployConfiguration.parse(Self.fixedSizeYAML)
        let setup = DesiredSetup(configuration: configuration, target: try configuration.target("production"))
        var existing = ExistingSetup()
        existing.group = setup.group
        existing.groupMinReadySec = setup.minReadySec
        existing.group?.targetSize = 1
        #expect(SetupPlanner.plan(setup, existing: existing).first { $0.kind == .group }?.action == .update(["targetSize: 1 → 2"]))
        // With an autoscaler, the size is the autoscaler's.
        let scaled = try desired()
        existing.group = scaled.group
        existing.groupMinReadySec = scaled.minReadySec
        existing.group?.targetSize = 5
        #expect(SetupPlanner.plan(scaled, existing: existing).first { $0.kind == .group }?.action == .keep)
    }

    @Test func removingAutoscaleDeletesTheAutoscalerBeforeTheGroupIsResized() throws {
        let configuration = try DeployConfiguration.parse(Self.fixedSizeYAML)
        let setup = DesiredSetup(configuration: configuration, target: try configuration.target("production"))
        var existing = ExistingSetup()
        existing.group = setup.group
        existing.groupMinReadySec = setup.minReadySec
        existing.group?.targetSize = 4
        existing.autoscaler = try desired().autoscaler
        let steps = SetupPlanner.plan(setup, existing: existing)
        let autoscaler = try #require(steps.firstIndex { $0.kind == .autoscaler })
        let group = try #require(steps.firstIndex { $0.kind == .group })
        #expect(steps[autoscaler].action == .delete)
        #expect(steps[autoscaler].description == "- delete autoscaler hello-autoscaler")
        #expect(autoscaler < group)
        #expect(steps[group].action == .update(["targetSize: 4 → 2"]))
    }

    static let regionalYAML = yaml.replacingOccurrences(of: "zone: us-west1-a", with: "region: us-west1")

    @Test func aRegionalGroupSurgesByItsZoneCount() throws {
        let configuration = try DeployConfiguration.parse(Self.regionalYAML.replacingOccurrences(of: "max-surge: 1, ", with: ""))
        let zones = ["us-west1-a", "us-west1-b", "us-west1-c"]
        let setup = DesiredSetup(configuration: configuration, target: try configuration.target("production"), zones: zones)
        #expect(setup.rolloutProblem == nil)
        #expect(setup.group.updatePolicy?.maxSurge == GCEModel.FixedOrPercent(fixed: 3))
        #expect(setup.group.updatePolicy?.maxUnavailable == GCEModel.FixedOrPercent(fixed: 0))
        #expect(setup.group.distributionPolicy?.zones?.map(\.zone) == ["zones/us-west1-a", "zones/us-west1-b", "zones/us-west1-c"])
        // A zonal target keeps the configured surge.
        #expect(try desired().group.updatePolicy?.maxSurge == GCEModel.FixedOrPercent(fixed: 1))
    }

    @Test func anExplicitSurgeBelowTheZoneCountIsRefusedForARegionalGroup() throws {
        let configuration = try DeployConfiguration.parse(Self.regionalYAML)
        let setup = DesiredSetup(configuration: configuration, target: try configuration.target("production"),
                                 zones: ["us-west1-a", "us-west1-b", "us-west1-c"])
        let problem = try #require(setup.rolloutProblem)
        #expect(problem.contains("max-surge is 1"))
        #expect(problem.contains("use max-surge: 3"))
    }

    @Test func theTemplateSetsItsBootDiskAndSubnetworkAndIsNamedAfterItsProperties() throws {
        let yaml = Self.yaml.replacingOccurrences(of: "bucket: my-unikernels }",
                                                  with: "bucket: my-unikernels, network: prod-net, subnetwork: prod-west, disk-size: 20 }")
        let configuration = try DeployConfiguration.parse(yaml)
        let target = try configuration.target("production")
        let template = ReleaseTemplate.make(configuration: configuration, target: target, release: "rabcdef012345", metadata: [:])
        let disk = try #require(template.properties?.disks?.first?.initializeParams)
        #expect(disk.diskSizeGb == 20)
        #expect(disk.diskType == "pd-balanced")
        #expect(template.properties?.networkInterfaces?.first?.subnetwork == "regions/us-west1/subnetworks/prod-west")
        #expect(template.name.hasPrefix("hello-rabcdef012345-"))
        // The same kernel with other metadata, or on another target, is another template.
        let again = ReleaseTemplate.make(configuration: configuration, target: target, release: "rabcdef012345", metadata: [:])
        let otherMetadata = ReleaseTemplate.make(configuration: configuration, target: target, release: "rabcdef012345", metadata: ["mode": "b"])
        let local = ReleaseTemplate.make(configuration: configuration, target: try configuration.target("local"), release: "rabcdef012345",
                                         metadata: [:])
        #expect(again.name == template.name)
        #expect(otherMetadata.name != template.name)
        #expect(local.name != template.name)
        #expect(ResourceNames(app: "hello").release(ofResource: otherMetadata.name) == "rabcdef012345")
    }

    @Test func provenanceDescriptionsStayWithinGCEsLimit() throws {
        let provenance = Provenance(release: "rabcdef012345", gitCommit: String(repeating: "a", count: 40), gitDirty: false,
                                    kernelSHA256: String(repeating: "b", count: 64), imageSHA256: String(repeating: "c", count: 64),
                                    buildCommand: "make " + String(repeating: "x", count: 5000), tools: ["sortie": "0.1.0"])
        let description = provenance.imageDescription
        #expect(description.count <= Provenance.maximumDescriptionLength)
        let parsed = try #require(Provenance.parse(imageDescription: description))
        #expect(parsed.kernelSHA256 == provenance.kernelSHA256)
        #expect(parsed.buildCommand?.hasSuffix("…") == true)
    }

    @Test func theGroupWaitsForTheLoadBalancerBeforeAnUpdateCountsANewInstance() throws {
        let setup = try desired()
        // interval 5 s × (healthy 2 + 1) + 10 s for Google Cloud to program its load balancer.
        #expect(setup.minReadySec == 25)
        #expect(try desired("local").minReadySec == 16)
        var existing = ExistingSetup()
        existing.group = setup.group
        #expect(SetupPlanner.plan(setup, existing: existing).first { $0.kind == .group }?.action
                == .update(["updatePolicy.minReadySec: 0 → 25"]))
    }

    @Test func minReadyInTheFileReplacesTheDerivedWait() throws {
        let configuration = try DeployConfiguration.parse(Self.yaml.replacingOccurrences(of: "max-unavailable: 0 }", with: "max-unavailable: 0, min-ready: 0s }"))
        let setup = DesiredSetup(configuration: configuration, target: try configuration.target("production"))
        #expect(setup.minReadySec == 0)
        var existing = ExistingSetup()
        existing.group = setup.group
        existing.groupMinReadySec = 25
        #expect(SetupPlanner.plan(setup, existing: existing).first { $0.kind == .group }?.action
                == .update(["updatePolicy.minReadySec: 25 → 0"]))
        #expect(configuration.description.contains("min-ready: 0s"), "the rendered file keeps the setting")
    }

    @Test func connectionDrainingFollowsTheRolloutsDrain() throws {
        #expect(try desired().backendService.connectionDraining?.drainingTimeoutSec == 30, "GCE-like default")
        let configuration = try DeployConfiguration.parse(Self.yaml.replacingOccurrences(of: "max-unavailable: 0 }", with: "max-unavailable: 0, drain: 2s }"))
        let setup = DesiredSetup(configuration: configuration, target: try configuration.target("production"))
        #expect(setup.backendService.connectionDraining?.drainingTimeoutSec == 2)
        var existing = ExistingSetup()
        existing.backendService = try desired().backendService
        #expect(SetupPlanner.plan(setup, existing: existing).first { $0.kind == .backendService }?.action
                == .update(["connectionDraining.drainingTimeoutSec: 30 → 2"]))
    }
}
