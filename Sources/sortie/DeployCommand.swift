import ArgumentParser
import Deploy
import DeployConfig
import DiskImage
import Foundation
import Logging
import Machine
import Pipeline

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Build, smoke-test, upload and roll out the kernel that sortie.yml describes.",
        discussion: """
            Steps: build (build.command), image (a reproducible GCE archive; its sha256 names the
            release), smoke test (boot it here, wait for image.smoke-test.expect), plan (read the
            target), upload (resumable, content-addressed, verified), register image (family = app,
            provenance labels), template (one per release), setup (health check, firewall, group,
            autoscaler, load balancer: created once, in dependency order), rollout (PATCH the
            group's versions with the configured surge; canary first if configured; wait until
            every instance is healthy). A rollout that is not healthy within service.rollout.timeout
            is rolled back to the previous release, and the failing instance's console is shown.
            Running it again after an interruption resumes: every step is idempotent.

            On a terminal, the plan is shown and confirmed before anything changes (--yes skips
            the question); elsewhere (CI) it proceeds. --plan only shows it.

            Examples:
              sortie deploy                          # the local plane (start it with `sortie serve`)
              sortie deploy --plan --target prod     # what would change on prod, nothing done
              sortie deploy --target prod --yes --json
              sortie deploy --smoke-test-only --skip-build   # CI's test job
            """
    )

    @OptionGroup var project: ProjectOptions

    @Flag(help: "Show what would be created or changed, and change nothing.")
    var plan = false

    @Flag(name: [.short, .long], help: "Do not ask for confirmation on a terminal.")
    var yes = false

    @Flag(help: "Print the summary as JSON on standard output.")
    var json = false

    @Flag(help: "Do not run build.command (the kernel is already built, e.g. by a CI build job).")
    var skipBuild = false

    @Flag(help: "Build the image and run the smoke test, then stop: no target is contacted (a CI test job).")
    var smokeTestOnly = false

    @Option(help: "Acceleration for the smoke test: auto, kvm or tcg.")
    var accel: String = "auto"

    func validate() throws {
        guard ["auto", "kvm", "tcg"].contains(accel) else { throw ValidationError("--accel must be auto, kvm or tcg") }
    }

    func run() async throws {
        let summary: DeploySummary = try await reportingErrors {
            let loaded = try project.load(keys: usedKeys)
            var request = DeployRequest(configuration: loaded.configuration, target: loaded.target, projectDirectory: loaded.directory,
                                        stateDirectory: loaded.state, grub: SortieEnvironment.grub,
                                        cacheDirectory: SortieEnvironment.cacheDirectory, timestamp: try SortieEnvironment.timestamp(),
                                        sortieVersion: SortieVersion.current, environment: SortieEnvironment.variables,
                                        localTokenPath: SortieEnvironment.localPlaneDataDirectory + "/token")
            request.accelerator = Accelerator(rawValue: accel)
            request.planOnly = plan
            request.skipBuild = skipBuild
            request.smokeTestOnly = smokeTestOnly
            if !yes, !plan, isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1 {
                request.confirm = { _ in Self.ask("Apply these changes to \(loaded.target.name)? [y/N] ") }
            }
            return try await Deployer(request).run(reporter: ConsoleReporter())
        }
        if json {
            try printJSON(summary)
        } else {
            print(Self.render(summary))
        }
    }

    /// The keys of sortie.yml this deploy reads: the build's (its command only when it runs),
    /// the image's, and unless it stops after the smoke test, the service's and the target's.
    func usedKeys(_ target: Target) -> [String] {
        var keys = ["app", "image"] + (skipBuild ? ["build.kernel", "build.initrd", "build.cmdline"] : ["build"])
        if !smokeTestOnly { keys += ["service", "targets.\(target.name)"] }
        return keys
    }

    static func ask(_ question: String) -> Bool {
        FileHandle.standardError.write(Data(question.utf8))
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }

    static func render(_ summary: DeploySummary) -> String {
        if summary.outcome == "smoke-tested" {
            return "Release \(summary.release) of \(summary.app) built and smoke-tested; nothing was uploaded (--smoke-test-only).\n\n"
                + Table(header: ["STEP", "SECONDS", "OUTCOME"],
                        rows: summary.steps.map { [$0.step, formatDecimal($0.seconds, places: 1), $0.outcome] }).render()
        }
        if summary.outcome == "planned" {
            return "Plan for \(summary.app) on \(summary.target), release \(summary.release):\n"
                + summary.plan.joined(separator: "\n") + "\nNothing was changed (--plan)."
        }
        var lines = ["\(summary.outcome == "deployed" ? "Deployed" : "Already deployed:") \(summary.app) \(summary.release) to \(summary.target) in \(formatDecimal(summary.totalSeconds, places: 1)) s",
                     "  image      \(summary.image)",
                     "  template   \(summary.template)"]
        if let previous = summary.previousRelease { lines.append("  previous   \(previous) (roll back with `sortie rollback`)") }
        if let address = summary.address { lines.append("  address    http://\(address)/") }
        lines.append("")
        lines.append(Table(header: ["STEP", "SECONDS", "OUTCOME"],
                           rows: summary.steps.map { [$0.step, formatDecimal($0.seconds, places: 1), $0.outcome] }).render())
        lines.append("")
        lines.append(Table(header: ["INSTANCE", "RELEASE", "STATUS", "HEALTH"],
                           rows: summary.instances.map { [$0.name, $0.release, $0.status, $0.health] }).render())
        return lines.joined(separator: "\n")
    }
}
