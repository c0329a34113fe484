import Deploy
import DeployConfig
import Foundation
import ImageBuilder
import Testing

@testable import Pipeline

/// What `sortie deploy --plan` says about a release, and the local steps' errors.
struct DeployPlanTests {
    static let configuration = try! DeployConfiguration.parse("""
        app: hello
        build: { kernel: missing/hello.virtio }
        service: { port: 8080 }
        """)

    var release: PreparedRelease {
        let sha = String(repeating: "ab", count: 32)
        return PreparedRelease(id: ResourceNames.releaseID(archiveSHA256: sha), archivePath: "/tmp/x.tar.gz", archiveSHA256: sha,
                               archiveBytes: 12_900_000,
                               provenance: Provenance(release: "rabababababab", gitCommit: nil, gitDirty: nil, kernelSHA256: sha,
                                                      imageSHA256: sha, buildCommand: nil, tools: [:]))
    }

    @Test func aNewReleaseIsUploadedRegisteredTemplatedAndRolledOut() throws {
        let target = try Self.configuration.target(nil)
        let lines = Deployer.planLines(release: release, names: ResourceNames(app: "hello"), template: "hello-rabababababab-0123abcd",
                                       target: target,
                                       state: ReleaseState(objectExists: false, imageExists: false, templateExists: false), setup: [],
                                       previous: "https://x/projects/local/global/instanceTemplates/hello-r000000000001",
                                       alreadyLive: false, canary: 1)
        #expect(lines == ["+ upload archive gs://hello-releases/hello/\(release.archiveSHA256).tar.gz (12.9 MB)",
                          "+ create image hello-rabababababab (family hello)",
                          "+ create instance template hello-rabababababab-0123abcd",
                          "~ roll out group hello: r000000000001 → rabababababab (canary of 1 first)"])
    }

    @Test func aConfigurationChangeWithTheSameKernelRollsOutItsNewTemplate() throws {
        let lines = Deployer.planLines(release: release, names: ResourceNames(app: "hello"), template: "hello-rabababababab-0123abcd",
                                       target: try Self.configuration.target(nil),
                                       state: ReleaseState(objectExists: true, imageExists: true, templateExists: false), setup: [],
                                       previous: "https://x/projects/local/global/instanceTemplates/hello-rabababababab-99999999",
                                       alreadyLive: false, canary: 0)
        #expect(lines.last == "~ roll out group hello: hello-rabababababab-99999999 → hello-rabababababab-0123abcd (configuration change)")
        #expect(lines.contains("+ create instance template hello-rabababababab-0123abcd"))
    }

    @Test func aReleaseAlreadyThereAndLiveChangesNothing() throws {
        let lines = Deployer.planLines(release: release, names: ResourceNames(app: "hello"), template: "hello-rabababababab-0123abcd",
                                       target: try Self.configuration.target(nil),
                                       state: ReleaseState(objectExists: true, imageExists: true, templateExists: true), setup: [],
                                       previous: nil, alreadyLive: true, canary: 0)
        #expect(lines.allSatisfy { $0.hasPrefix("  keep") })
    }

    @Test func aMissingKernelStopsTheImageStepWithWhereItLooked() throws {
        let builder = LocalReleaseBuilder(configuration: Self.configuration, projectDirectory: "/nonexistent-project",
                                          stateDirectory: "/nonexistent-project/.sortie",
                                          grub: GrubFiles.Location(moduleDirectory: "/usr/lib/grub/i386-pc", cacheDirectory: "/tmp"),
                                          timestamp: 0, sortieVersion: "test", environment: [:])
        #expect(throws: DeployError.self) { _ = try builder.buildImage(reporter: SilentReporter()) }
        do {
            _ = try builder.buildImage(reporter: SilentReporter())
        } catch let error as DeployError {
            #expect(error.step == "image")
            #expect(error.message.contains("/nonexistent-project/missing/hello.virtio"))
            #expect(error.hint?.contains("build.command") == true)
        }
    }

    @Test func byteCountsReadLikeGsutil() {
        #expect(ByteCount.text(812) == "812 B")
        #expect(ByteCount.text(12_900_000) == "12.9 MB")
        #expect(ByteCount.text(1_100_000_000) == "1.1 GB")
    }
}
