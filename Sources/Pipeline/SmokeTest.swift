import DeployConfig
import DiskImage
import Foundation
import ImageBuilder
import Machine
import SortieSupport

/// Step 2 of a deploy: boots the archive here, with GCE's virtual hardware, and requires the
/// configured line on its console before anything is uploaded.
public struct SmokeTest: Sendable {
    public var settings: ImageSettings.SmokeTest
    public var grub: GrubFiles.Location
    public var cacheDirectory: String
    public var accelerator: Accelerator?

    public init(settings: ImageSettings.SmokeTest, grub: GrubFiles.Location, cacheDirectory: String, accelerator: Accelerator? = nil) {
        self.settings = settings
        self.grub = grub
        self.cacheDirectory = cacheDirectory
        self.accelerator = accelerator
    }

    public func run(archive: String, reporter: any DeployReporter) async throws -> StepTiming {
        let step = "smoke test"
        let expect = settings.expect.value
        reporter.started(step, "booting the image, waiting up to \(settings.timeoutSeconds) s for \"\(settings.expect)\"")
        let started = Date()
        let report: BootReport
        let verdict: AccelerationProbe.Verdict
        do {
            let disk = try BootableDisk(input: archive, commandLine: nil, initrd: nil, grub: grub)
            defer { disk.cleanUp() }
            verdict = try await AccelerationProbe(cacheDirectory: cacheDirectory, grub: grub).resolve(accelerator)
            var command = QEMUCommand(accelerator: verdict.accelerator, profile: .gce, diskPath: disk.path,
                                      macAddress: QEMUCommand.macAddress(seed: UInt32(truncatingIfNeeded: getpid())))
            command.memoryMiB = 256
            let escaped = NSRegularExpression.escapedPattern(for: expect)
            report = try await GuestBoot(BootRequest(command: command, expect: escaped, timeoutSeconds: Double(settings.timeoutSeconds)))
                .run { _ in }
        } catch let error as UserFacingError {
            throw DeployError(step: step, reason: error.message, hint: error.hint)
        }
        let seconds = Date().timeIntervalSince(started)
        switch report.outcome {
        case .matched:
            let outcome = "\"\(settings.expect)\" after \(String(format: "%.1f", report.seconds)) s (\(verdict.accelerator.rawValue))"
            reporter.finished(step, outcome, seconds: seconds)
            return StepTiming(step: step, outcome: outcome, seconds: seconds)
        case .poweredOff:
            throw DeployError(step: step, reason: "the guest powered off without printing \"\(settings.expect)\"",
                              hint: "nothing was uploaded; fix the kernel (or image.smoke-test.expect) and deploy again",
                              console: report.tail)
        case .failed(let reason):
            throw DeployError(step: step, reason: "the image did not boot: \(reason)",
                              hint: reason.hasPrefix("timed out")
                                  ? "nothing was uploaded; check that the kernel prints \"\(settings.expect)\" on the serial console, or raise image.smoke-test.timeout"
                                  : "nothing was uploaded; boot it yourself with `sortie boot \(archive)` to investigate",
                              console: report.tail)
        }
    }
}
