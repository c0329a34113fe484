import DeployConfig
import Foundation
import Testing

@testable import CIPipeline

/// The generated pipelines, byte for byte, for a MirageOS project deploying to a zonal target and
/// for two cloud targets with a secret in sortie.yml. A change to the generators shows up here as
/// a diff to review; `SORTIE_UPDATE_SNAPSHOTS=1 swift test --filter SnapshotTests` rewrites them.
struct SnapshotTests {
    static let mirage = """
        app: hello-mirage
        build:
          command: mirage configure -t virtio && make depend && make
          kernel: dist/hello.virtio
        service:
          port: 8080
        targets:
          production: { project: my-project, zone: us-west1-a, bucket: my-unikernels }
        """

    static let twoTargets = """
        app: api
        build:
          command: make kernel
          kernel: _build/api.hvt
        service:
          port: 80
          metadata: { api-token: "${API_TOKEN}" }
        targets:
          staging: { project: my-staging, zone: europe-west1-b, bucket: api-staging }
          production: { project: my-production, region: europe-west1, bucket: api-production }
        ci:
          branch: trunk
        """

    static let lock = CILock(image: "ocaml/opam@sha256:" + String(repeating: "3f", count: 32),
                             opamSwitch: .init(path: "sortie.opam-switch", sha256: String(repeating: "a", count: 64)),
                             opamMonorepoLock: nil, sortieVersion: "0.1.0")

    func plan(_ yaml: String, mirage: Bool) throws -> PipelinePlan {
        let configuration = try DeployConfiguration.parse(yaml, environment: CIProject.placeholderEnvironment(for: yaml))
        return try PipelinePlan(CIProject(configuration: configuration, isMirage: mirage, lock: Self.lock,
                                          secretVariables: CIProject.secretVariables(in: yaml)), sortieVersion: "0.1.0")
    }

    func expect(_ generated: String, matches name: String) throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots/\(name)").path
        if ProcessInfo.processInfo.environment["SORTIE_UPDATE_SNAPSHOTS"] == "1" {
            try generated.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let snapshot = try String(contentsOfFile: path, encoding: .utf8)
        #expect(generated == snapshot, "\(name) differs from the snapshot")
    }

    @Test func mirageGitHubWorkflow() throws {
        try expect(GitHubWorkflow.render(try plan(Self.mirage, mirage: true)), matches: "mirage-github.yml")
    }

    @Test func mirageCircleCIConfig() throws {
        try expect(CircleCIConfig.render(try plan(Self.mirage, mirage: true)), matches: "mirage-circleci.yml")
    }

    @Test func twoTargetsGitHubWorkflow() throws {
        try expect(GitHubWorkflow.render(try plan(Self.twoTargets, mirage: false)), matches: "two-targets-github.yml")
    }

    @Test func secretsAreReferencesWithoutDefaults() {
        #expect(CIProject.secretVariables(in: "a: ${A}\nb: ${B:-x}\nc: $${C}\nd: ${A} ${D}") == ["A", "D"])
    }

    @Test func aBuildWithoutAPinnedImageIsRefused() throws {
        let configuration = try DeployConfiguration.parse(Self.mirage)
        #expect(throws: CIError.self) {
            _ = try PipelinePlan(CIProject(configuration: configuration, isMirage: true, lock: nil, secretVariables: []), sortieVersion: "0.1.0")
        }
        #expect(CILock.isPinned(Self.lock.image!))
        #expect(!CILock.isPinned("ocaml/opam:debian-12-ocaml-4.14"))
    }
}
