import DeployConfig
import Foundation
import Testing

@testable import CIPipeline

/// What the generated pipelines run on: GitHub actions whose runtime GitHub still provides, and
/// a Swift toolchain that builds this checkout of Sortie.
struct ToolchainAndActionsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The first major of each action that runs on Node 24 (GitHub removed Node 20 in September 2026).
    static let firstNode24Major = ["actions/checkout": 5, "actions/cache": 5, "actions/upload-artifact": 6, "actions/download-artifact": 7]

    func workflows() throws -> [String] {
        let test = SnapshotTests()
        return [try test.plan(SnapshotTests.mirage, mirage: true), try test.plan(SnapshotTests.twoTargets, mirage: false)]
            .map(GitHubWorkflow.render)
    }

    @Test func everyActionIsANode24Major() throws {
        var seen: Set<String> = []
        for workflow in try workflows() {
            for line in workflow.split(separator: "\n") where line.contains("uses:") {
                let reference = line.split(separator: "uses:")[1].trimmingCharacters(in: .whitespaces)
                let parts = reference.split(separator: "@")
                let name = String(parts[0])
                let minimum = try #require(Self.firstNode24Major[name], "\(name) is not an action known to run on Node 24")
                let major = try #require(Int(parts[1].dropFirst()), "\(reference) is not pinned to a major")
                #expect(parts[1].hasPrefix("v") && major >= minimum, "\(reference) runs on Node 20 or older; use v\(minimum) or later")
                seen.insert(name)
            }
        }
        #expect(seen == Set(Self.firstNode24Major.keys))
    }

    @Test func circleCIUsesTheSameSwiftImageAndAnUbuntu2404Machine() throws {
        let config = CircleCIConfig.render(try SnapshotTests().plan(SnapshotTests.mirage, mirage: true))
        #expect(config.contains("- image: \"swift:6.3.1-noble\""))
        #expect(config.contains("image: ubuntu-2404:current"))
        #expect(!config.contains("orbs:"))
        #expect(!config.contains("ubuntu-2204") && !config.contains("bookworm"))
    }

    /// The toolchain CI installs is at least what Package.swift asks for, and is the one the tests
    /// here run with (6.3.1): a toolchain upgrade here has to move CI with it.
    @Test func theCIToolchainBuildsSortie() throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let line = try #require(manifest.split(separator: "\n").first)
        let tools = try #require(line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces))
        let required = tools.split(separator: ".").compactMap { Int($0) }
        let ci = SortieBuild.swiftVersion.split(separator: ".").compactMap { Int($0) }
        #expect(ci.lexicographicallyPrecedes(required) == false, "CI's Swift \(SortieBuild.swiftVersion) is older than swift-tools-version \(tools)")
        #if compiler(>=6.3.1) && !compiler(>=6.3.2)
        #expect(SortieBuild.swiftVersion == "6.3.1")
        #else
        Issue.record("these tests are not compiled by Swift 6.3.1: update SortieBuild.swiftVersion and docs/ci.md to the toolchain Sortie is tested with")
        #endif
        let workflow = try workflows()[0]
        #expect(workflow.contains("image: \"swift:6.3.1-noble\""))
        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/ci.md"), encoding: .utf8)
        #expect(doc.contains("Swift 6.3.1") && doc.contains("`swift:6.3.1-noble`"), "docs/ci.md states another toolchain")
    }
}
