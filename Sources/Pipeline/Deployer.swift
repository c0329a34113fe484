import Deploy
import DeployConfig
import DiskImage
import Foundation
import GCEClient
import GCEModel
import ImageBuilder
import Logging
import Machine

/// Everything `sortie deploy` needs to know.
public struct DeployRequest: Sendable {
    public var configuration: DeployConfiguration
    public var target: Target
    public var projectDirectory: String
    public var stateDirectory: String
    public var grub: GrubFiles.Location
    public var cacheDirectory: String
    public var timestamp: Int64
    public var sortieVersion: String
    public var environment: [String: String]
    public var localTokenPath: String
    public var accelerator: Accelerator?
    /// Stop after printing the plan.
    public var planOnly = false
    /// Do not run `build.command` (CI: the kernel comes from the build job).
    public var skipBuild = false
    /// Stop after the smoke test, without contacting the target (CI's test job).
    public var smokeTestOnly = false
    /// Asked with the plan before anything changes; nil: do not ask (`--yes`, or not a terminal).
    public var confirm: (@Sendable ([String]) async -> Bool)?
    public var logger: Logger?

    public init(configuration: DeployConfiguration, target: Target, projectDirectory: String, stateDirectory: String,
                grub: GrubFiles.Location, cacheDirectory: String, timestamp: Int64, sortieVersion: String,
                environment: [String: String], localTokenPath: String) {
        self.configuration = configuration
        self.target = target
        self.projectDirectory = projectDirectory
        self.stateDirectory = stateDirectory
        self.grub = grub
        self.cacheDirectory = cacheDirectory
        self.timestamp = timestamp
        self.sortieVersion = sortieVersion
        self.environment = environment
        self.localTokenPath = localTokenPath
    }
}

/// `sortie deploy`: build, smoke-test, upload, register, set up, roll out, summarise. Every
/// step is idempotent and names are content-addressed, so running it again after a crash
/// resumes; a rollout that does not become healthy in time is rolled back.
public struct Deployer: Sendable {
    public var request: DeployRequest

    public init(_ request: DeployRequest) { self.request = request }

    var configuration: DeployConfiguration { request.configuration }
    var names: ResourceNames { ResourceNames(app: configuration.app) }

    public func run(reporter: any DeployReporter) async throws -> DeploySummary {
        let started = Date()
        var steps: [StepTiming] = []
        let builder = LocalReleaseBuilder(configuration: configuration, projectDirectory: request.projectDirectory,
                                          stateDirectory: request.stateDirectory, grub: request.grub, timestamp: request.timestamp,
                                          sortieVersion: request.sortieVersion, environment: request.environment)
        if request.skipBuild {
            steps.append(StepTiming(step: "build", outcome: "skipped: --skip-build", seconds: 0))
        } else {
            steps.append(try builder.runBuildCommand(reporter: reporter))
        }
        let (release, imageStep) = try builder.buildImage(reporter: reporter)
        steps.append(imageStep)

        if request.smokeTestOnly {
            steps.append(try await smokeTest(release, reporter: reporter))
            let names = self.names
            return DeploySummary(app: configuration.app, target: request.target.name, release: release.id,
                                 image: names.image(release: release.id), template: releaseTemplate(release.id).name,
                                 previousRelease: nil, outcome: "smoke-tested", plan: [], steps: steps, instances: [], address: nil,
                                 totalSeconds: Date().timeIntervalSince(started))
        }
        let connection: TargetConnection
        do {
            connection = try TargetConnection(target: request.target, environment: request.environment,
                                              localTokenPath: request.localTokenPath, logger: request.logger)
        } catch {
            throw DeployError.api("credentials", error)
        }
        for warning in connection.warnings { reporter.note("warning: \(warning)") }
        do {
            // The same release already live (its template alone in the group): booting it again proves nothing new.
            if configuration.image.smokeTest != nil, await Self.isLive(template: releaseTemplate(release.id).name, connection: connection,
                                                                     names: names) {
                steps.append(StepTiming(step: "smoke test", outcome: "skipped: \(release.id) is already live on \(request.target.name)",
                                        seconds: 0))
            } else {
                steps.append(try await smokeTest(release, reporter: reporter))
            }
            let summary = try await deploy(release, connection: connection, steps: steps, started: started, reporter: reporter)
            await connection.close()
            return summary
        } catch {
            await connection.close()
            throw error
        }
    }

    func smokeTest(_ release: PreparedRelease, reporter: any DeployReporter) async throws -> StepTiming {
        guard let smoke = configuration.image.smokeTest else {
            return StepTiming(step: "smoke test", outcome: "skipped: no image.smoke-test", seconds: 0)
        }
        return try await SmokeTest(settings: smoke, grub: request.grub, cacheDirectory: request.cacheDirectory,
                                   accelerator: request.accelerator).run(archive: release.archivePath, reporter: reporter)
    }

    /// Whether the group runs `template` alone; false when it cannot be read (the smoke test then runs).
    static func isLive(template: String, connection: TargetConnection, names: ResourceNames) async -> Bool {
        let compute = connection.compute
        guard let group = try? await compute.ifExists({ try await compute.instanceGroupManagers(connection.scope).get(names.group) })
        else { return false }
        return RolloutDriver.templates(of: group).map(RolloutProgress.lastSegment) == [template]
    }

    func deploy(_ release: PreparedRelease, connection: TargetConnection, steps: [StepTiming], started: Date,
                reporter: any DeployReporter) async throws -> DeploySummary {
        var steps = steps
        let target = request.target
        let compute = connection.compute
        let template = releaseTemplate(release.id)
        let templateName = template.name
        let templateReference = compute.reference(InstanceTemplate.self, templateName)

        // Plan: reads only.
        let planStarted = Date()
        reporter.started("plan", "reading \(target.name) (\(connection.credentialSource))")
        let existing: ExistingSetup
        let releaseState: ReleaseState
        let desired: DesiredSetup
        do {
            existing = try await SetupApplier.readExisting(connection: connection, names: names)
            let zones = try await Self.groupZones(connection: connection, existing: existing.group)
            desired = DesiredSetup(configuration: configuration, target: target, listenPort: target.httpPort, zones: zones)
            releaseState = try await ReleaseState.read(connection: connection, names: names, release: release, template: templateName)
        } catch {
            throw DeployError.api("plan", error)
        }
        if let problem = desired.rolloutProblem {
            throw DeployError(step: "plan", reason: problem, hint: "change service.rollout in sortie.yml; nothing was changed on \(target.name)")
        }
        let applier = SetupApplier(connection: connection, desired: desired)
        let setupSteps = SetupPlanner.plan(desired, existing: existing)
        let liveTemplates = existing.group.map(RolloutDriver.templates(of:)) ?? []
        let previous = liveTemplates.last { RolloutProgress.lastSegment($0) != templateName }
        let alreadyLive = liveTemplates.count == 1 && RolloutProgress.lastSegment(liveTemplates[0]) == templateName
        let plan = Self.planLines(release: release, names: names, template: templateName, target: target, state: releaseState,
                                  setup: setupSteps, previous: previous, alreadyLive: alreadyLive, canary: configuration.service.rollout.canary)
        steps.append(StepTiming(step: "plan", outcome: "\(plan.filter { !$0.hasPrefix("  keep") }.count) change(s)",
                                seconds: Date().timeIntervalSince(planStarted)))
        reporter.finished("plan", "\(target.name): \(plan.count) item(s)", seconds: steps.last!.seconds)
        if !request.planOnly { for line in plan { reporter.note(line) } }
        var summary = DeploySummary(app: configuration.app, target: target.name, release: release.id, image: names.image(release: release.id),
                                    template: templateName, previousRelease: previous.map(names.releaseOrName),
                                    outcome: "planned", plan: plan, steps: steps, instances: [], address: nil, totalSeconds: 0)
        if request.planOnly {
            summary.totalSeconds = Date().timeIntervalSince(started)
            return summary
        }
        let changes = plan.contains { !$0.hasPrefix("  keep") }
        if changes, let confirm = request.confirm, !(await confirm(plan)) {
            throw DeployError(step: "plan", reason: "not confirmed; nothing was changed on \(target.name)",
                              hint: "answer yes, or pass --yes to deploy without asking")
        }

        let publisher = ReleasePublisher(connection: connection, names: names, stateDirectory: request.stateDirectory)
        steps.append(try await publisher.upload(release, reporter: reporter))
        steps.append(try await publisher.registerImage(release, reporter: reporter))
        steps.append(try await createTemplate(template, connection: connection, reporter: reporter))

        let setupStarted = Date()
        reporter.started("setup", target.name)
        let counts: (created: Int, updated: Int)
        do {
            counts = try await applier.apply(setupSteps, template: templateReference, release: release.id, reporter: reporter)
        } catch {
            throw DeployError.api("setup", error)
        }
        let setupOutcome = counts.created + counts.updated == 0 ? "all \(setupSteps.count) resources as configured"
            : "created \(counts.created), updated \(counts.updated), kept \(setupSteps.count - counts.created - counts.updated)"
        steps.append(StepTiming(step: "setup", outcome: setupOutcome, seconds: Date().timeIntervalSince(setupStarted)))
        reporter.finished("setup", setupOutcome, seconds: steps.last!.seconds)

        let rolloutStarted = Date()
        reporter.started("rollout", "\(names.group) → \(release.id)")
        let driver = RolloutDriver(connection: connection, names: names)
        let rollout = configuration.service.rollout
        let outcome: String
        do {
            outcome = try await driver.roll(to: templateReference, release: release.id, canary: existing.group == nil ? 0 : rollout.canary,
                                            timeout: .seconds(rollout.timeoutSeconds), reporter: reporter)
        } catch {
            throw DeployError.api("rollout", error)
        }
        steps.append(StepTiming(step: "rollout", outcome: outcome, seconds: Date().timeIntervalSince(rolloutStarted)))
        reporter.finished("rollout", outcome, seconds: steps.last!.seconds)

        // Done when the service answers: the load balancer's own health view, then one request through it.
        let servingStarted = Date()
        reporter.started("serving", "\(names.backendService) → \(release.id)")
        let serving: String
        do {
            serving = try await ServingCheck(connection: connection, names: names, path: configuration.service.health.path.value)
                .run(template: templateName, release: release.id, deadline: connection.clock.now() + .seconds(rollout.timeoutSeconds), reporter: reporter)
        } catch let error as DeployError {
            throw error
        } catch {
            throw DeployError.api("serving", error)
        }
        steps.append(StepTiming(step: "serving", outcome: serving, seconds: Date().timeIntervalSince(servingStarted)))
        reporter.finished("serving", serving, seconds: steps.last!.seconds)

        summary.steps = steps
        summary.outcome = alreadyLive ? "already deployed" : "deployed"
        summary.instances = (try? await connection.compute.instanceGroupManagers(connection.scope).listManagedInstances(names.group))?
            .map { InstanceRow($0, names: names) } ?? []
        summary.address = try? await Self.address(connection: connection, names: names)
        summary.totalSeconds = Date().timeIntervalSince(started)
        return summary
    }

    /// The release's instance template for this target and configuration.
    func releaseTemplate(_ release: String) -> InstanceTemplate {
        ReleaseTemplate.make(configuration: configuration, target: request.target, release: release,
                             metadata: configuration.service.metadata.mapValues(\.value))
    }

    /// The zones a regional target's group spreads over: the existing group's distribution, else
    /// every zone of the region. Empty for a zonal target.
    static func groupZones(connection: TargetConnection, existing group: InstanceGroupManager?) async throws -> [String] {
        guard case .region(let region) = connection.target.location else { return [] }
        let listed = group?.distributionPolicy?.zones?.compactMap { $0.zone.map(RolloutProgress.lastSegment) } ?? []
        if !listed.isEmpty { return listed }
        return try await connection.compute.region(region.value).zones?.map(RolloutProgress.lastSegment).sorted() ?? []
    }

    func createTemplate(_ template: InstanceTemplate, connection: TargetConnection, reporter: any DeployReporter) async throws -> StepTiming {
        let step = "template"
        let started = Date()
        let name = template.name
        reporter.started(step, name)
        let templates = connection.compute.instanceTemplates
        var outcome = "created \(name)"
        do {
            if try await connection.compute.ifExists({ try await templates.get(name) }) != nil {
                outcome = "\(name) exists: reused (templates are immutable)"
            } else {
                do {
                    _ = try await connection.compute.wait(for: try await templates.insert(template), timeout: .seconds(300))
                } catch let error as GCEAPIError where error.isAlreadyExists {
                    outcome = "\(name) exists: reused (templates are immutable)"
                }
            }
        } catch {
            throw DeployError.api(step, error)
        }
        let seconds = Date().timeIntervalSince(started)
        reporter.finished(step, outcome, seconds: seconds)
        return StepTiming(step: step, outcome: outcome, seconds: seconds)
    }

    /// The load balancer's `IP:port`, from the forwarding rule.
    public static func address(connection: TargetConnection, names: ResourceNames) async throws -> String? {
        guard let rule = try await connection.compute.ifExists({ try await connection.compute.globalForwardingRules.get(names.forwardingRule) })
        else { return nil }
        let port = (rule.portRange ?? "80").split(separator: "-").first.map(String.init) ?? "80"
        return "\(rule.ipAddress ?? "?"):\(port)"
    }

    /// The plan, one line per resource: `+ create`, `~ update`, `  keep`, then the release's steps.
    static func planLines(release: PreparedRelease, names: ResourceNames, template: String, target: Target, state: ReleaseState,
                          setup: [SetupStep], previous: String?, alreadyLive: Bool, canary: Int) -> [String] {
        let object = names.archiveObject(archiveSHA256: release.archiveSHA256)
        var lines = [state.objectExists ? "  keep   archive gs://\(target.bucket.value)/\(object)"
                     : "+ upload archive gs://\(target.bucket.value)/\(object) (\(ByteCount.text(release.archiveBytes)))",
                     state.imageExists ? "  keep   image \(names.image(release: release.id))"
                     : "+ create image \(names.image(release: release.id)) (family \(names.imageFamily))",
                     state.templateExists ? "  keep   instance template \(template)"
                     : "+ create instance template \(template)"]
        lines += setup.map(\.description)
        if alreadyLive {
            lines.append("  keep   group \(names.group) on \(template) (already deployed)")
        } else if let previous {
            let from = names.releaseOrName(previous)
            // The same kernel with another configuration: name the templates, not the (same) release.
            let change = from == release.id ? "\(RolloutProgress.lastSegment(previous)) → \(template) (configuration change)"
                : "\(from) → \(release.id)"
            lines.append("~ roll out group \(names.group): \(change)" + (canary > 0 ? " (canary of \(canary) first)" : ""))
        }
        return lines
    }
}

/// Which of a release's resources the target has already.
struct ReleaseState: Sendable {
    var objectExists: Bool
    var imageExists: Bool
    var templateExists: Bool

    static func read(connection: TargetConnection, names: ResourceNames, release: PreparedRelease, template: String) async throws -> ReleaseState {
        let compute = connection.compute
        let object: Bool
        do {
            object = try await connection.client.storage.objectIfExists(bucket: connection.target.bucket.value,
                                                                       name: names.archiveObject(archiveSHA256: release.archiveSHA256)) != nil
        } catch let error as GCEAPIError where error.isNotFound {
            object = false  // no bucket yet
        }
        return ReleaseState(objectExists: object,
                            imageExists: try await compute.ifExists { try await compute.images.get(names.image(release: release.id)) } != nil,
                            templateExists: try await compute.ifExists {
                                try await compute.instanceTemplates.get(template) } != nil)
    }
}
