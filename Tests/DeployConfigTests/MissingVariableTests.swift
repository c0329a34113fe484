import DeployConfig
import Testing

/// Parsing with `allowingMissingVariables`: a variable that is not set fails only where a command
/// asks for the keys that reference it; references in comments are not references.
@Suite struct MissingVariableTests {
    static let yaml = """
        app: hello
        # "${IN_A_COMMENT}" is no reference
        build: { kernel: k.virtio, cmdline: "v=${V} level=${LEVEL:-info}" }
        service: { port: 8080, metadata: { token: "${TOKEN}" } }
        targets:
          local: {}
          production: { project: "${PROJECT}", zone: "${ZONE}", bucket: releases }
        """

    @Test func strictParsingStillFailsAtTheFirstMissingVariable() {
        let error = #expect(throws: ConfigError.self) { try DeployConfiguration.parse(Self.yaml) }
        #expect(error?.message == "sortie.yml:3: build.cmdline: the environment variable V is not set")
        #expect(error?.hint == "set V, or give a default in the file: ${V:-default}")
    }

    @Test func missingVariablesFailOnlyForTheKeysACommandUses() throws {
        let config = try DeployConfiguration.parse(Self.yaml, allowingMissingVariables: true)
        try config.requireEnvironment(for: ["app", "targets.local"])
        let build = #expect(throws: ConfigError.self) { try config.requireEnvironment(for: ["app", "build", "image", "service"]) }
        #expect(build?.message == "sortie.yml:3: build.cmdline: the environment variable V is not set")
        let metadata = #expect(throws: ConfigError.self) { try config.requireEnvironment(for: ["service"]) }
        #expect(metadata?.message == "sortie.yml:4: service.metadata.token: the environment variable TOKEN is not set")
        let target = #expect(throws: ConfigError.self) { try config.requireEnvironment(for: ["targets.production"]) }
        #expect(target?.message == "sortie.yml:7: targets.production.project: the environment variable PROJECT is not set")
        #expect(config.build.cmdline.isSecret && config.build.cmdline.description == "<secret>")
        // The unset zone was not validated as a zone name; with it set it is.
        let set = try DeployConfiguration.parse(Self.yaml, environment: ["V": "1", "TOKEN": "t", "PROJECT": "my-project", "ZONE": "us-west1-a"],
                                                allowingMissingVariables: true)
        try set.requireEnvironment(for: ["app", "build", "image", "service", "targets.production"])
        #expect(throws: ConfigError.self) {
            try DeployConfiguration.parse(Self.yaml, environment: ["ZONE": "Not A Zone"], allowingMissingVariables: true)
        }
    }

    @Test func referencesAreTheValuesOnlyInFileOrder() throws {
        let config = try DeployConfiguration.parse(Self.yaml, environment: ["V": "1"], allowingMissingVariables: true)
        #expect(config.environmentReferences.map(\.name) == ["V", "LEVEL", "TOKEN", "PROJECT", "ZONE"])
        #expect(config.variablesWithoutDefault == ["V", "TOKEN", "PROJECT", "ZONE"])
        #expect(config.environmentReferences.filter(\.isMissing).map(\.keyPath)
                == ["service.metadata.token", "targets.production.project", "targets.production.zone"])
    }
}
