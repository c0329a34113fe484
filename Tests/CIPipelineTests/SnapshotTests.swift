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

    static let sortie = SortieSource.git(url: "https://git.example.com/sortie.git", commit: String(repeating: "5e", count: 20))

    static let lock = CILock(image: "ocaml/opam@sha256:" + String(repeating: "3f", count: 32),
                             opamSwitch: .init(path: "sortie.opam-switch", sha256: String(repeating: "a", count: 64)),
                             opamMonorepoLock: nil, sortie: sortie)

    /// `sortie.yml` parsed as `sortie ci` parses it: without the environment.
    static func configuration(_ yaml: String) throws -> DeployConfiguration {
        try DeployConfiguration.parse(yaml, environment: [:], allowingMissingVariables: true)
    }

    func plan(_ yaml: String, mirage: Bool, lock: CILock? = SnapshotTests.lock) throws -> PipelinePlan {
        try PipelinePlan(CIProject(configuration: try Self.configuration(yaml), isMirage: mirage, lock: lock))
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

    @Test func mirageCircleCIConfigFromAnArchive() throws {
        var lock = Self.lock
        lock.sortie = .archive(url: "https://downloads.example.com/sortie-src.tar.gz", sha256: String(repeating: "c4", count: 32))
        try expect(CircleCIConfig.render(try plan(Self.mirage, mirage: true, lock: lock)), matches: "mirage-circleci-archive.yml")
    }

    @Test func secretsAreTheValuesReferencesWithoutDefaults() throws {
        let yaml = """
            app: api
            build: { kernel: k.virtio, cmdline: "a=${A} b=${B:-x} c=$${C} d=${A} ${D}" }
            service: { port: 80 }
            """
        #expect(try Self.configuration(yaml).variablesWithoutDefault == ["A", "D"])
    }

    /// The starter explains `${NAME}` and shows `"${API_TOKEN}"` in comments: neither is a secret
    /// the pipeline should ask for.
    @Test func referencesInCommentsAreNotSecrets() throws {
        let starter = StarterConfig.render(app: "web", kernelPath: "web.virtio", kernelKind: .multiboot1)
        #expect(starter.contains("${API_TOKEN}") && starter.contains("${NAME}"))
        let workflow = GitHubWorkflow.render(try plan(starter, mirage: false))
        #expect(!workflow.contains("secrets.API_TOKEN") && !workflow.contains("secrets.NAME"))
        let withSecret = starter.replacingOccurrences(of: "  # metadata: { environment: production }",
                                                      with: "  metadata: { token: \"${API_TOKEN}\" }  # ${NOT_THIS}")
        let secretWorkflow = GitHubWorkflow.render(try plan(withSecret, mirage: false))
        #expect(secretWorkflow.contains("API_TOKEN: ${{ secrets.API_TOKEN }}") && !secretWorkflow.contains("NOT_THIS"))
    }

    @Test func aBuildWithoutAPinnedImageIsRefused() throws {
        var lock = Self.lock
        lock.image = nil
        #expect(throws: CIError.self) { _ = try plan(Self.mirage, mirage: true, lock: lock) }
        #expect(CILock.isPinned(Self.lock.image!))
        #expect(!CILock.isPinned("ocaml/opam:debian-12-ocaml-4.14"))
    }

    /// No pipeline names a place to get Sortie from that nobody configured.
    @Test func withoutASortieSourceNoPipelineIsWritten() throws {
        var lock = Self.lock
        lock.sortie = nil
        for lock in [lock, nil] {
            let error = #expect(throws: CIError.self) { _ = try plan(Self.twoTargets, mirage: false, lock: lock) }
            #expect(error?.message.contains("where CI gets Sortie") == true)
            #expect(error?.hint?.contains("sortie ci lock --sortie-git URL --sortie-commit SHA") == true)
        }
        for yaml in [Self.mirage, Self.twoTargets] {
            for text in [GitHubWorkflow.render(try plan(yaml, mirage: yaml == Self.mirage)), CircleCIConfig.render(try plan(yaml, mirage: yaml == Self.mirage))] {
                #expect(!text.contains("sortie-dev") && !text.contains("v0.1.0"))
                #expect(text.contains("SORTIE_GIT: \"https://git.example.com/sortie.git\""))
                #expect(text.contains("SORTIE_COMMIT: \"\(String(repeating: "5e", count: 20))\""))
            }
        }
    }

    @Test func sortieSourcesAreCheckedAndRoundTripThroughTheLock() throws {
        #expect(throws: CIError.self) { try SortieSource.checkedGit(url: "https://x/sortie.git", commit: "main") }
        #expect(throws: CIError.self) { try SortieSource.checkedGit(url: "https://x/sortie.git", commit: "5e5e5e5") }
        #expect(throws: CIError.self) { try SortieSource.checkedArchive(url: "https://x/s.tar.gz", sha256: "abc") }
        #expect(throws: CIError.self) { try SortieSource.checkedGit(url: "", commit: String(repeating: "a", count: 40)) }
        let upper = try SortieSource.checkedGit(url: "https://x/sortie.git", commit: String(repeating: "AB", count: 20))
        #expect(upper == .git(url: "https://x/sortie.git", commit: String(repeating: "ab", count: 20)))
        let decoded = try JSONDecoder().decode(CILock.self, from: Data(Self.lock.json.utf8))
        #expect(decoded == Self.lock)
        #expect(Self.lock.json.contains("\"git\" : \"https://git.example.com/sortie.git\""))
        let forged = Self.lock.json.replacingOccurrences(of: String(repeating: "5e", count: 20), with: "main")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(CILock.self, from: Data(forged.utf8)) }
    }
}
