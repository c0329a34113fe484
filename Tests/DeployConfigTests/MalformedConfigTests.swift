import DeployConfig
import Testing

/// Every malformed `sortie.yml` is refused with a message that names the line, the key path,
/// what is wrong and what is expected.
@Suite struct MalformedConfigTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var message: String
        var environment: [String: String] = [:]
        var testDescription: String { name }
    }

    /// A valid file; cases replace one of its lines or append to it.
    static let base = """
        app: hello
        build:
          kernel: dist/hello.virtio
        service:
          port: 8080
          instances: { min: 2, max: 10 }
          autoscale: { cpu: 0.6 }
        targets:
          local: {}
          production: { project: my-proj, zone: us-west1-a, bucket: my-unikernels }

        """

    static func replacing(_ old: String, with new: String) -> String {
        precondition(base.contains(old), "the base file has no \(old)")
        return base.replacingOccurrences(of: old, with: new)
    }

    static let cases: [Case] = [
        Case(name: "empty file", yaml: "", message: "sortie.yml: the file is empty; it needs at least app, build.kernel and service.port"),
        Case(name: "not a mapping", yaml: "- app\n", message: "sortie.yml:1: expected a mapping with the keys app, build, image, service, targets, ci, got a list"),
        Case(name: "ci deploys to an unknown target", yaml: base + "ci: { deploy: staging }\n",
             message: "sortie.yml:11: ci.deploy: names the target \"staging\", which targets does not have (targets: local, production)"),
        Case(name: "ci secret not a secret name", yaml: base + "ci: { secret: my-key }\n",
             message: "sortie.yml:11: ci.secret: \"my-key\" is not a secret name (uppercase letters, digits and _)"),
        Case(name: "http-port out of range", yaml: replacing("  local: {}", with: "  local: { http-port: 70000 }"),
             message: "sortie.yml:9: targets.local.http-port: \"70000\" is not a whole number between 1 and 65535"),
        Case(name: "YAML syntax", yaml: "app: hello\nbuild: { kernel: x\n",
             message: "sortie.yml:3: not valid YAML: did not find expected ',' or '}'"),
        Case(name: "duplicate key", yaml: base + "app: again\n",
             message: "sortie.yml:1: the key \"app\" appears more than once in the same mapping"),
        Case(name: "missing app", yaml: replacing("app: hello\n", with: ""),
             message: "sortie.yml:1: app: is required: the application's name, the prefix of every resource name, e.g. app: hello"),
        Case(name: "bad app name", yaml: replacing("app: hello", with: "app: Hello_World"),
             message: "sortie.yml:1: app: \"Hello_World\" is not a name of lowercase letters, digits and dashes, starting with a letter"),
        Case(name: "app too long", yaml: replacing("app: hello", with: "app: a-very-long-application-name"),
             message: "sortie.yml:1: app: \"a-very-long-application-name\" is 28 characters; at most 24, so that derived resource names fit GCE's 63"),
        Case(name: "unknown top-level key with suggestion", yaml: base + "servise: {}\n",
             message: "sortie.yml:11: servise: unknown key; did you mean \"service\"?"),
        Case(name: "unknown key without suggestion", yaml: replacing("  port: 8080", with: "  port: 8080\n  replicas: 3"),
             message: "sortie.yml:6: service.replicas: unknown key (expected one of: port, health, instances, autoscale, rollout, metadata)"),
        Case(name: "snake_case key", yaml: base.replacingOccurrences(of: "  port: 8080", with: "  port: 8080\n  rollout: { max_surge: 2 }"),
             message: "sortie.yml:6: service.rollout.max_surge: unknown key; did you mean \"max-surge\"?"),
        Case(name: "missing kernel", yaml: replacing("  kernel: dist/hello.virtio", with: "  command: make"),
             message: "sortie.yml:3: build.kernel: is required: the path of the kernel the build produces, e.g. dist/hello.virtio"),
        Case(name: "port not a number", yaml: replacing("port: 8080", with: "port: http"),
             message: "sortie.yml:5: service.port: \"http\" is not a whole number between 1 and 65535"),
        Case(name: "port out of range", yaml: replacing("port: 8080", with: "port: 70000"),
             message: "sortie.yml:5: service.port: \"70000\" is not a whole number between 1 and 65535"),
        Case(name: "surge not a number or percentage", yaml: replacing("  port: 8080", with: "  port: 8080\n  rollout:\n    max-surge: lots"),
             message: "sortie.yml:7: service.rollout.max-surge: \"lots\" is not a number or a percentage like \"25%\""),
        Case(name: "percentage in a small group", yaml: replacing("  port: 8080", with: "  port: 8080\n  rollout: { max-surge: \"50%\" }"),
             message: "sortie.yml:6: service.rollout.max-surge: \"50%\" is a percentage, which GCE allows only for groups of 10 or more instances (instances.min is 2)"),
        Case(name: "surge and unavailable both zero", yaml: replacing("  port: 8080", with: "  port: 8080\n  rollout: { max-surge: 0, max-unavailable: 0 }"),
             message: "sortie.yml:6: service.rollout: max-surge and max-unavailable are both 0, so a rollout could never replace an instance"),
        Case(name: "duration without unit", yaml: replacing("  port: 8080", with: "  port: 8080\n  health: { interval: 5 }"),
             message: "sortie.yml:6: service.health.interval: \"5\" is not a duration like \"30s\", \"10m\" or \"1h\""),
        Case(name: "health timeout longer than interval", yaml: replacing("  port: 8080", with: "  port: 8080\n  health: { interval: 5s, timeout: 10s }"),
             message: "sortie.yml:6: service.health.timeout: timeout (10s) is longer than interval (5s); GCE requires timeout <= interval"),
        Case(name: "health path without slash", yaml: replacing("  port: 8080", with: "  port: 8080\n  health: { path: health }"),
             message: "sortie.yml:6: service.health.path: \"health\" is not an HTTP path starting with \"/\""),
        Case(name: "min above max", yaml: replacing("min: 2, max: 10", with: "min: 3, max: 2"),
             message: "sortie.yml:6: service.instances.max: 2 is less than min (3)"),
        Case(name: "max without autoscale", yaml: replacing("  autoscale: { cpu: 0.6 }\n", with: ""),
             message: "sortie.yml:6: service.instances.max: 10 is more than min (2), but there is no service.autoscale: without autoscaling the group always has min instances"),
        Case(name: "autoscale without room", yaml: replacing("min: 2, max: 10", with: "min: 2, max: 2"),
             message: "sortie.yml:7: service.autoscale: needs instances.max greater than instances.min (both are 2)"),
        Case(name: "cpu out of range", yaml: replacing("cpu: 0.6", with: "cpu: 60"),
             message: "sortie.yml:7: service.autoscale.cpu: \"60\" is not a number greater than 0 and at most 1"),
        Case(name: "canary as large as the group", yaml: replacing("  port: 8080", with: "  port: 8080\n  rollout: { canary: 2 }"),
             message: "sortie.yml:6: service.rollout.canary: 2 must be less than instances.min (2): the canary is part of the group"),
        Case(name: "disk not whole GiB", yaml: base + "image: { size: 1536MiB }\n",
             message: "sortie.yml:11: image.size: 1536MiB is not a whole number of GiB (GCE imports only whole GiB disks)"),
        Case(name: "size without unit", yaml: base + "image: { size: 2G }\n",
             message: "sortie.yml:11: image.size: \"2G\" is not a size like \"1GiB\" or \"512MiB\" (binary units: KiB, MiB, GiB, TiB)"),
        Case(name: "smoke test without expect", yaml: base + "image:\n  smoke-test: { timeout: 30s }\n",
             message: "sortie.yml:12: image.smoke-test.expect: is required: the console line a good boot prints, e.g. expect: \"READY\""),
        Case(name: "cloud target without bucket", yaml: replacing(", bucket: my-unikernels", with: ""),
             message: "sortie.yml:10: targets.production.bucket: is required: the Cloud Storage bucket for image archives"),
        Case(name: "cloud target with zone and region", yaml: replacing("zone: us-west1-a", with: "zone: us-west1-a, region: us-west1"),
             message: "sortie.yml:10: targets.production.region: give either zone (a zonal group) or region (a regional group), not both"),
        Case(name: "cloud target without location", yaml: replacing("zone: us-west1-a, ", with: ""),
             message: "sortie.yml:10: targets.production: needs a zone (e.g. zone: us-west1-a) or a region (e.g. region: us-west1)"),
        Case(name: "bad zone", yaml: replacing("zone: us-west1-a", with: "zone: us-west1"),
             message: "sortie.yml:10: targets.production.zone: \"us-west1\" is not a zone like \"us-west1-a\""),
        Case(name: "drain beyond GCE's hour", yaml: replacing("  autoscale: { cpu: 0.6 }", with: "  autoscale: { cpu: 0.6 }\n  rollout: { drain: 2h }"),
             message: "sortie.yml:8: service.rollout.drain: 2h is out of range: expected 0s to 1h"),
        Case(name: "min-ready beyond GCE's hour", yaml: replacing("  autoscale: { cpu: 0.6 }", with: "  autoscale: { cpu: 0.6 }\n  rollout: { min-ready: 90m }"),
             message: "sortie.yml:8: service.rollout.min-ready: 90m is out of range: expected 0s to 1h"),
        Case(name: "rollout timeout under 10 s", yaml: replacing("  autoscale: { cpu: 0.6 }", with: "  autoscale: { cpu: 0.6 }\n  rollout: { timeout: 5s }"),
             message: "sortie.yml:8: service.rollout.timeout: 5s is out of range: expected 10s to 24h"),
        Case(name: "pd-standard on a C3 machine", yaml: replacing("zone: us-west1-a", with: "zone: us-west1-a, machine-type: c3-standard-4, disk-type: pd-standard"),
             message: "sortie.yml:10: targets.production.disk-type: machine type c3-standard-4 (series C3) offers no pd-standard"),
        Case(name: "persistent disk on a Hyperdisk-only series", yaml: replacing("zone: us-west1-a", with: "zone: us-west1-a, machine-type: n4-standard-2, disk-type: pd-balanced"),
             message: "sortie.yml:10: targets.production.disk-type: machine type n4-standard-2 (series N4) offers Hyperdisk only, not pd-balanced"),
        Case(name: "unknown disk type", yaml: replacing("zone: us-west1-a", with: "zone: us-west1-a, disk-type: pd-fast"),
             message: "sortie.yml:10: targets.production.disk-type: \"pd-fast\" is not a disk type (one of: hyperdisk-balanced, hyperdisk-extreme, hyperdisk-throughput, pd-balanced, pd-extreme, pd-ssd, pd-standard)"),
        Case(name: "boot disk below the persistent disk minimum", yaml: replacing("zone: us-west1-a", with: "zone: us-west1-a, disk-size: 5"),
             message: "sortie.yml:10: targets.production.disk-size: 5 GB is below the smallest pd-balanced disk GCE makes (10 GB)"),
        Case(name: "boot disk smaller than the image", yaml: replacing("  port: 8080", with: "image: { size: 20GiB }\nservice:\n  port: 8080")
                .replacingOccurrences(of: "service:\nimage", with: "image"),
             message: "sortie.yml: targets.local.disk-size: 10 GB is smaller than the image (image.size: 20 GiB); GCE cannot make the boot disk"),
        Case(name: "target key typo", yaml: replacing("zone: us-west1-a", with: "zone: us-west1-a, machine_type: e2-small"),
             message: "sortie.yml:10: targets.production.machine_type: unknown key; did you mean \"machine-type\"?"),
        Case(name: "section as a scalar", yaml: replacing("  instances: { min: 2, max: 10 }", with: "  instances: 3"),
             message: "sortie.yml:6: service.instances: expected a mapping with the keys min, max, got \"3\""),
        Case(name: "missing environment variable", yaml: base + "  staging: { project: \"${STAGING_PROJECT}\", zone: us-west1-b, bucket: b-releases }\n",
             message: "sortie.yml:11: targets.staging.project: the environment variable STAGING_PROJECT is not set"),
        Case(name: "malformed environment reference", yaml: replacing("  port: 8080", with: "  port: 8080\n  metadata: { token: \"${TOKEN\" }"),
             message: "sortie.yml:6: service.metadata.token: ${TOKEN is not a valid environment reference; write ${NAME} or ${NAME:-default}"),
        Case(name: "secret value is not printed", yaml: replacing("project: my-proj", with: "project: \"${PROJECT}\""),
             message: "sortie.yml:10: targets.production.project: the value of ${PROJECT} is not a project ID (6–30 lowercase letters, digits and dashes)",
             environment: ["PROJECT": "Top Secret"]),
        Case(name: "app from the environment", yaml: replacing("app: hello", with: "app: ${APP}"),
             message: "sortie.yml:1: app: must be written in the file, not taken from the environment: it is part of every resource name",
             environment: ["APP": "hello"]),
    ]

    @Test(arguments: cases)
    func refusedWithExactMessage(_ c: Case) {
        do {
            let config = try DeployConfiguration.parse(c.yaml, environment: c.environment)
            Issue.record("parsed, expected an error; got:\n\(config)")
        } catch let error as ConfigError {
            #expect(error.message == c.message)
            for value in c.environment.values { #expect(!error.description.contains(value)) }
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }

    @Test func theBaseFileIsValid() throws {
        _ = try DeployConfiguration.parse(Self.base)
    }

    @Test func missingVariableHintSuggestsADefault() {
        let yaml = Self.base + "  staging: { project: \"${P}\", zone: us-west1-b, bucket: b-releases }\n"
        #expect(throws: ConfigError.self) { try DeployConfiguration.parse(yaml) }
        do { _ = try DeployConfiguration.parse(yaml) } catch let error as ConfigError {
            #expect(error.hint == "set P, or give a default in the file: ${P:-default}")
        } catch {}
    }
}
