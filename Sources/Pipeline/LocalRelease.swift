import Deploy
import DeployConfig
import DiskImage
import Foundation
import ImageBuilder
import SortieSupport

/// A release built on this machine: its content-addressed archive and where it came from.
public struct PreparedRelease: Sendable, Equatable {
    public var id: String
    public var archivePath: String
    public var archiveSHA256: String
    public var archiveBytes: Int64
    public var provenance: Provenance
}

/// Steps 1 and 2 of a deploy, on this machine only: run the build command, build the image
/// archive (reproducibly, so the same inputs give the same release id), record provenance.
public struct LocalReleaseBuilder: Sendable {
    public var configuration: DeployConfiguration
    /// The directory holding `sortie.yml`: the build runs there and paths are relative to it.
    public var projectDirectory: String
    /// `.sortie` in the project: built archives and upload sessions.
    public var stateDirectory: String
    public var grub: GrubFiles.Location
    public var timestamp: Int64
    public var sortieVersion: String
    public var environment: [String: String]
    public var runner: any CommandRunner

    public init(configuration: DeployConfiguration, projectDirectory: String, stateDirectory: String, grub: GrubFiles.Location,
                timestamp: Int64, sortieVersion: String, environment: [String: String], runner: any CommandRunner = SystemCommandRunner()) {
        self.configuration = configuration
        self.projectDirectory = projectDirectory
        self.stateDirectory = stateDirectory
        self.grub = grub
        self.timestamp = timestamp
        self.sortieVersion = sortieVersion
        self.environment = environment
        self.runner = runner
    }

    /// Runs `build.command` with `/bin/sh -c` in the project directory; its output goes to standard error.
    public func runBuildCommand(reporter: any DeployReporter) throws -> StepTiming {
        let step = "build"
        guard let command = configuration.build.command else {
            return StepTiming(step: step, outcome: "skipped: no build.command", seconds: 0)
        }
        reporter.started(step, command.description)
        let started = Date()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command.value]
        process.currentDirectoryURL = URL(fileURLWithPath: projectDirectory)
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        do { try process.run() } catch {
            throw DeployError(step: step, reason: "cannot run /bin/sh: \(error.localizedDescription)")
        }
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(started)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw DeployError(step: step, reason: "`\(command)` exited with status \(process.terminationStatus)",
                              hint: "its output is above; run it by hand in \(projectDirectory) to debug it. Nothing was uploaded.")
        }
        reporter.finished(step, "ran `\(command)`", seconds: seconds)
        return StepTiming(step: step, outcome: "ran `\(command)`", seconds: seconds)
    }

    /// Builds the archive into `.sortie/releases/SHA256.tar.gz` and returns the release.
    public func buildImage(reporter: any DeployReporter) throws -> (PreparedRelease, StepTiming) {
        let step = "image"
        let build = configuration.build
        let kernel = resolve(build.kernel.value)
        guard FileManager.default.fileExists(atPath: kernel) else {
            throw DeployError(step: step, reason: "build.kernel \(build.kernel.value) does not exist (looked for \(kernel))",
                              hint: configuration.build.command == nil ? "build the kernel first, or set build.command in \(configuration.file)"
                                  : "check that build.command writes the kernel there")
        }
        reporter.started(step, build.kernel.value)
        let started = Date()
        let releases = stateDirectory + "/releases"
        do {
            try FileManager.default.createDirectory(atPath: releases, withIntermediateDirectories: true)
        } catch {
            throw DeployError(step: step, reason: "cannot create \(releases): \(error.localizedDescription)", hint: "check that the project directory is writable")
        }
        let partial = releases + "/building-\(getpid()).tar.gz"
        defer { try? FileManager.default.removeItem(atPath: partial) }
        let request = ImageBuildRequest(kernelPath: kernel, initrdPath: build.initrd.map { resolve($0.value) }, commandLine: build.cmdline.value,
                                        sizeGiB: configuration.image.sizeGiB, outputPath: partial, grub: grub, timestamp: timestamp)
        let result: ImageBuildResult
        do {
            result = try ImageBuild.run(request)
        } catch let error as UserFacingError {
            throw DeployError(step: step, reason: error.message, hint: error.hint)
        }
        let archiveSHA = try FileDigest.sha256(partial)
        let final = releases + "/\(archiveSHA).tar.gz"
        if FileManager.default.fileExists(atPath: final) { try? FileManager.default.removeItem(atPath: final) }
        guard rename(partial, final) == 0 else {
            throw DeployError(step: step, reason: "cannot move the archive to \(final): \(String(cString: strerror(errno)))")
        }
        let id = ResourceNames.releaseID(archiveSHA256: archiveSHA)
        let git = gitState()
        var tools = ["sortie": sortieVersion]
        if let qemu = qemuVersion() { tools["qemu"] = qemu }
        let provenance = Provenance(release: id, gitCommit: git?.commit, gitDirty: git?.dirty, kernelSHA256: try FileDigest.sha256(kernel),
                                    imageSHA256: archiveSHA, buildCommand: build.command?.description, tools: tools)
        let seconds = Date().timeIntervalSince(started)
        let outcome = "\(id): \(result.kernelKind) kernel, \(ByteCount.text(Int64(result.outputBytes))) archive of a \(configuration.image.sizeGiB) GiB disk"
        reporter.finished(step, outcome, seconds: seconds)
        return (PreparedRelease(id: id, archivePath: final, archiveSHA256: archiveSHA, archiveBytes: Int64(result.outputBytes),
                                provenance: provenance),
                StepTiming(step: step, outcome: outcome, seconds: seconds))
    }

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : projectDirectory + "/" + path
    }

    /// HEAD and whether the tree is dirty, or nil outside git (or without git).
    func gitState() -> (commit: String, dirty: Bool)? {
        guard let git = ["/usr/bin/git", "/usr/local/bin/git", "/bin/git"].first(where: FileManager.default.isExecutableFile(atPath:)),
              let head = try? runner.run(git, ["-C", projectDirectory, "rev-parse", "HEAD"]), head.status == 0,
              let status = try? runner.run(git, ["-C", projectDirectory, "status", "--porcelain", "--untracked-files=no"]), status.status == 0
        else { return nil }
        return (head.output.trimmingCharacters(in: .whitespacesAndNewlines), !status.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    func qemuVersion() -> String? {
        let path = ExecutableSearch.find("qemu-system-x86_64", environment: environment)
        guard let path, let result = try? runner.run(path, ["--version"]), result.status == 0,
              let range = result.output.range(of: #"version [0-9][0-9.]*"#, options: .regularExpression) else { return nil }
        return String(result.output[range].dropFirst("version ".count))
    }
}
