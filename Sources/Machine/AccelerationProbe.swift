import DiskImage
import Foundation
import ImageBuilder
import SortieSupport

/// Decides whether KVM really runs guests here, by booting a tiny kernel under KVM with a time
/// limit, and remembers the verdict.
///
/// `/dev/kvm` existing is not enough: on nested PVM hosts it opens, but unikernels and GRUB die
/// in its instruction emulator or crawl. The probe kernel (tests/guests/probe/probe.S) is booted
/// through the same GRUB disk Sortie makes, enables SSE, runs `ldmxcsr` and `iret`, and prints a
/// marker; only if that marker appears in time is KVM used.
public struct AccelerationProbe: Sendable {
    public struct Verdict: Codable, Sendable, Equatable {
        public var accelerator: Accelerator
        public var reason: String
        /// Identifies the host conditions the verdict was made under.
        public var key: String
    }

    public var cacheDirectory: String
    public var grub: GrubFiles.Location
    public var timeLimitSeconds: Double = 8
    public var kvmDevice = "/dev/kvm"

    public init(cacheDirectory: String, grub: GrubFiles.Location) {
        self.cacheDirectory = cacheDirectory
        self.grub = grub
    }

    static let marker = "SORTIE-PROBE-OK"

    /// The accelerator for `requested` (`nil` = auto), probing at most once per host condition.
    public func resolve(_ requested: Accelerator?) async throws -> Verdict {
        if let requested { return Verdict(accelerator: requested, reason: "chosen with --accel", key: "") }
        guard access(kvmDevice, R_OK | W_OK) == 0 else {
            return Verdict(accelerator: .tcg, reason: "\(kvmDevice) is not available", key: "")
        }
        let key = hostKey()
        let cacheFile = cacheDirectory + "/accel.json"
        if let data = FileManager.default.contents(atPath: cacheFile),
           let cached = try? JSONDecoder().decode(Verdict.self, from: data), cached.key == key {
            return cached
        }
        let verdict = try await probe(key: key)
        try? FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        // A cache: a failed write only means probing again next time.
        if let data = try? JSONEncoder().encode(verdict) { try? AtomicFile.write(data, to: cacheFile) }
        return verdict
    }

    func probe(key: String) async throws -> Verdict {
        let directory = NSTemporaryDirectory() + "sortie-probe-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let kernelPath = directory + "/probe.bin"
        guard FileManager.default.createFile(atPath: kernelPath, contents: Data(probeKernelBytes)) else {
            throw MachineError("cannot write the probe kernel to \(directory)", hint: "check TMPDIR")
        }
        let diskPath = directory + "/probe.raw"
        _ = try ImageBuild.run(ImageBuildRequest(kernelPath: kernelPath, outputPath: diskPath, grub: grub))
        var command = QEMUCommand(accelerator: .kvm, profile: .gce, diskPath: diskPath,
                                  macAddress: QEMUCommand.macAddress(seed: UInt32(getpid())))
        command.memoryMiB = 64
        command.qmpSocket = directory + "/qmp.sock"
        let boot = GuestBoot(BootRequest(command: command, expect: Self.marker, timeoutSeconds: timeLimitSeconds))
        let report = try await boot.run(onLine: { _ in })
        if report.outcome.succeeded {
            return Verdict(accelerator: .kvm, reason: "KVM booted the probe kernel in \(formatDecimal(report.seconds, places: 2)) s", key: key)
        }
        let why: String
        if case .failed(let reason) = report.outcome { why = reason } else { why = "no marker" }
        return Verdict(accelerator: .tcg, reason: "KVM could not run the probe kernel (\(why)); using TCG", key: key)
    }

    /// Kernel release, QEMU binary identity and the KVM device: a change in any re-runs the probe.
    func hostKey() -> String {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var st = stat()
        let qemu = ExecutableSearch.find("qemu-system-x86_64") ?? "none"
        stat(qemu, &st)
        var kvm = stat()
        stat(kvmDevice, &kvm)
        return "\(release)|\(qemu):\(st.st_size):\(st.st_mtim.tv_sec)|kvm:\(kvm.st_rdev)"
    }
}
