import DeployConfig
import Rollout
import Testing

/// Valid files: every default filled in, every value read, secrets kept out of descriptions.
@Suite struct ValidConfigTests {
    @Test func smallestFileGetsEveryDefault() throws {
        let config = try DeployConfiguration.parse("""
            app: hello
            build: { kernel: dist/hello.virtio }
            service: { port: 8080 }
            """)
        #expect(config.app == "hello")
        #expect(config.build == BuildSettings(kernel: "dist/hello.virtio"))
        #expect(config.image == ImageSettings(sizeBytes: 1 << 30, smokeTest: nil))
        #expect(config.service.health == HealthSettings(path: "/", intervalSeconds: 5, timeoutSeconds: 5, healthyThreshold: 2,
                                                        unhealthyThreshold: 2, initialDelaySeconds: 30))
        #expect(config.service.instances == InstanceCount(min: 1, max: 1))
        #expect(config.service.autoscale == nil)
        #expect(config.service.rollout == RolloutSettings(maxSurge: .fixed(1), maxUnavailable: .fixed(0), canary: 0, timeoutSeconds: 600))
        #expect(config.service.metadata.isEmpty)
        #expect(config.targets.count == 1)
        let local = try config.target(nil)
        #expect(local.name == "local" && local.isLocalPlane)
        #expect(local.project == "local" && local.location == .zone("local1-a") && local.bucket == "hello-releases")
        #expect(local.machineType == "e2-small" && local.network == "default")
        #expect(local.computeEndpoint == "http://127.0.0.1:8765" && local.storageEndpoint == "http://127.0.0.1:8765")
    }

    @Test func everyKeyIsRead() throws {
        let config = try DeployConfiguration.parse("""
            app: hello
            build:
              command: make
              kernel: dist/vmlinuz
              initrd: dist/initrd.img
              cmdline: "console=ttyS0 quiet"
            image:
              size: 2GiB
              smoke-test: { expect: "READY", timeout: 1m }
            service:
              port: 8080
              health: { path: /health, interval: 10s, timeout: 3s, healthy: 3, unhealthy: 4, initial-delay: 1m30s }
              instances: { min: 10, max: 20 }
              autoscale: { cpu: 0.75, cooldown: 45s }
              rollout: { max-surge: "20%", max-unavailable: 1, canary: 2, timeout: 15m }
              metadata: { environment: production, replicas: 3 }
            targets:
              production: { project: my-proj, region: us-west1, bucket: my-unikernels, machine-type: n2-standard-2, network: prod-net }
              test: { project: test-proj, zone: local1-a, bucket: test-bucket, endpoint: "http://127.0.0.1:9000" }
            """)
        #expect(config.build == BuildSettings(command: "make", kernel: "dist/vmlinuz", initrd: "dist/initrd.img", cmdline: "console=ttyS0 quiet"))
        #expect(config.image == ImageSettings(sizeBytes: 2 << 30, smokeTest: .init(expect: "READY", timeoutSeconds: 60)))
        #expect(config.image.sizeGiB == 2)
        #expect(config.service.health == HealthSettings(path: "/health", intervalSeconds: 10, timeoutSeconds: 3, healthyThreshold: 3,
                                                        unhealthyThreshold: 4, initialDelaySeconds: 90))
        #expect(config.service.instances == InstanceCount(min: 10, max: 20))
        #expect(config.service.autoscale == AutoscaleSettings(cpuTarget: 0.75, cooldownSeconds: 45))
        #expect(config.service.rollout == RolloutSettings(maxSurge: .percent(20), maxUnavailable: .fixed(1), canary: 2, timeoutSeconds: 900,
                                                               maxSurgeIsExplicit: true))
        #expect(config.service.metadata == ["environment": "production", "replicas": "3"])
        #expect(config.targets.map(\.name) == ["production", "test"])
        let production = try config.target("production")
        #expect(!production.isLocalPlane && production.location == .region("us-west1"))
        #expect(production.machineType == "n2-standard-2" && production.network == "prod-net")
        #expect(production.computeEndpoint == "https://compute.googleapis.com" && production.storageEndpoint == "https://storage.googleapis.com")
        #expect(try config.target("test").computeEndpoint == "http://127.0.0.1:9000")
    }

    @Test func defaultTargetChoice() throws {
        let two = try DeployConfiguration.parse("""
            app: hello
            build: { kernel: k }
            service: { port: 80 }
            targets:
              a: { project: proj-a1, zone: us-west1-a, bucket: bucket-a }
              b: { project: proj-b1, zone: us-west1-b, bucket: bucket-b }
            """)
        #expect(throws: ConfigError.self) { try two.target(nil) }
        #expect(throws: ConfigError.self) { try two.target("c") }
        #expect(try two.target("b").name == "b")
    }

    @Test func environmentReferencesAreResolvedAndSecret() throws {
        let environment = ["PROJECT": "secret-proj", "API_TOKEN": "s3cr3t-t0ken", "EMPTY": ""]
        let config = try DeployConfiguration.parse("""
            app: hello
            build: { kernel: "dist/${KERNEL:-hello}.virtio", command: "make -j$(nproc) V=$$HOME $${LITERAL}" }
            service:
              port: 8080
              metadata: { token: "Bearer ${API_TOKEN}", fallback: "${EMPTY:-none}", plain: visible }
            targets:
              production: { project: "${PROJECT}", zone: us-west1-a, bucket: my-unikernels }
            """, environment: environment)
        #expect(config.build.kernel == ConfigString("dist/hello.virtio", source: "dist/${KERNEL:-hello}.virtio"))
        #expect(!config.build.kernel.isSecret)
        #expect(config.build.command?.value == "make -j$(nproc) V=$$HOME ${LITERAL}")
        let token = try #require(config.service.metadata["token"])
        #expect(token.value == "Bearer s3cr3t-t0ken" && token.isSecret && token.description == "<secret>")
        #expect(config.service.metadata["fallback"]?.value == "none")
        #expect(config.service.metadata["fallback"]?.isSecret == false)
        let production = try config.target("production")
        #expect(production.project.value == "secret-proj" && production.project.isSecret)
        let dump = config.description
        #expect(!dump.contains("s3cr3t") && !dump.contains("secret-proj"))
        #expect(dump.contains("token: \"<secret>\"") && dump.contains("plain: \"visible\""))
        #expect(!"\(production)".contains("secret-proj"))
    }

    @Test func descriptionParsesBackToTheSameConfiguration() throws {
        let config = try DeployConfiguration.parse(MalformedConfigTests.base + "image: { smoke-test: { expect: \"Solo5: \\\"ok\\\"\" } }\n")
        let again = try DeployConfiguration.parse(config.description)
        #expect(again == config)
    }
}

@Suite struct UnitSyntaxTests {
    @Test(arguments: [("5s", 5), ("10m", 600), ("1h", 3600), ("1m30s", 90), ("0s", 0)])
    func durations(_ text: String, _ seconds: Int) throws {
        let yaml = "app: a\nbuild: { kernel: k }\nservice: { port: 1, health: { initial-delay: \(text) } }\n"
        #expect(try DeployConfiguration.parse(yaml).service.health.initialDelaySeconds == seconds)
    }

    @Test func compoundDurations() throws {
        let yaml = "app: a\nbuild: { kernel: k }\nservice: { port: 1, rollout: { timeout: 1h30m } }\n"
        #expect(try DeployConfiguration.parse(yaml).service.rollout.timeoutSeconds == 5400)
    }

    @Test(arguments: ["5", "5 s", "s", "30m1h", "1.5m", "-5s", "5d"])
    func badDurations(_ text: String) {
        let yaml = "app: a\nbuild: { kernel: k }\nservice: { port: 1 }\nimage: { smoke-test: { expect: x, timeout: \"\(text)\" } }\n"
        #expect(throws: ConfigError.self) { try DeployConfiguration.parse(yaml) }
    }

    @Test(arguments: [("1GiB", 1), ("2048MiB", 2), ("1 GiB", 1), ("1073741824B", 1)])
    func sizes(_ text: String, _ gib: Int) throws {
        let yaml = "app: a\nbuild: { kernel: k }\nservice: { port: 1 }\nimage: { size: \(text) }\n"
        #expect(try DeployConfiguration.parse(yaml).image.sizeGiB == gib)
    }

    @Test(arguments: [("1", FixedOrPercent.fixed(1)), ("0", .fixed(0)), ("\"25%\"", .percent(25)), ("100%", .percent(100))])
    func fixedOrPercent(_ text: String, _ value: FixedOrPercent) throws {
        let yaml = "app: a\nbuild: { kernel: k }\nservice: { port: 1, instances: { min: 10 }, rollout: { max-unavailable: \(text), max-surge: 1 } }\n"
        #expect(try DeployConfiguration.parse(yaml).service.rollout.maxUnavailable == value)
    }

    @Test(arguments: ["101%", "-1", "1.5", "%"])
    func badFixedOrPercent(_ text: String) {
        let yaml = "app: a\nbuild: { kernel: k }\nservice: { port: 1, instances: { min: 10 }, rollout: { max-unavailable: \"\(text)\" } }\n"
        #expect(throws: ConfigError.self) { try DeployConfiguration.parse(yaml) }
    }
}
