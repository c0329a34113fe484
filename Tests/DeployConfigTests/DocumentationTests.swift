import DeployConfig
import Foundation
import Testing

/// Every complete example in docs/sortie-yml.md parses, and every key the parser knows is documented.
@Suite struct DocumentationTests {
    static let doc: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("docs/sortie-yml.md"), encoding: .utf8)) ?? ""
    }()

    /// The ```yaml blocks that start with `app:` (whole files; other blocks are fragments).
    static var examples: [String] {
        doc.components(separatedBy: "```yaml\n").dropFirst().compactMap { block in
            let body = block.components(separatedBy: "```").first ?? ""
            return body.hasPrefix("app:") ? body : nil
        }
    }

    @Test func docHasExamples() {
        #expect(Self.examples.count >= 3)
    }

    @Test func examplesParse() throws {
        let environment = ["GCP_PROJECT": "my-project", "API_TOKEN": "t0ken"]
        for example in Self.examples {
            do {
                _ = try DeployConfiguration.parse(example, environment: environment)
            } catch {
                Issue.record("an example in docs/sortie-yml.md does not parse: \(error)\n\(example)")
            }
        }
    }

    /// The doc suggests DHCP for Solo5/MirageOS and explains the local plane's addresses.
    @Test func networkAddressesComeFromDHCP() {
        #expect(!Self.doc.contains("--ipv4"))
        #expect(Self.doc.contains("### Network addresses"))
        #expect(Self.doc.contains("`10.0.2.15/24` with gateway `10.0.2.2`") && Self.doc.contains("MirageOS 4.10.5 and later"))
        #expect(Self.doc.contains("`--dhcp=true`"))
    }

    @Test(arguments: ["app", "build.command", "build.kernel", "build.initrd", "build.cmdline", "image.size", "image.smoke-test",
                      "service.port", "service.health", "service.instances", "service.autoscale", "service.rollout", "service.metadata",
                      "targets", "max-surge", "max-unavailable", "canary", "initial-delay", "cooldown", "project", "zone", "region",
                      "bucket", "machine-type", "network", "subnetwork", "disk-size", "disk-type", "endpoint", "http-port"])
    func keyIsDocumented(_ key: String) {
        #expect(Self.doc.contains("`\(key)`"), "docs/sortie-yml.md does not mention `\(key)`")
    }
}
