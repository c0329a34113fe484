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
                   names.httpProxy, names.forwardingRule, names.image(release: release), names.template(release: release)]
        for name in all {
            #expect(name.count <= 63, "\(name) is longer than GCE allows")
            #expect(name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" })
        }
        #expect(names.release(ofResource: names.template(release: release)) == release)
        #expect(names.release(ofResource: names.healthCheck) == nil)
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
        #expect(setup.backendService.backends?.first?.group == "projects/my-proj/zones/us-west1-a/instanceGroups/hello")
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
}
