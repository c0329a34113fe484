import ArgumentParser
import DiskImage
import Foundation
import ImageBuilder
import Machine

struct BootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boot",
        abstract: "Boot an image or a kernel in QEMU and watch its serial console.",
        discussion: """
            Accepts a raw disk, a GCE image archive (.tar.gz) or a kernel (built into a GRUB disk
            first, exactly as `sortie image build` would). The console is streamed as it arrives.
            Exits 0 as soon as a console line matches --expect, or, without --expect, when the guest
            powers itself off. Exits 1 on a timeout, a guest crash, or a QEMU failure, printing the
            last console lines and the reason. QEMU never outlives the command.

            --accel auto (the default) uses KVM only if a probe kernel really boots under it (the
            verdict is cached); otherwise TCG, QEMU's software emulation.

            Examples:
              sortie boot hello.tar.gz --expect "Solo5: Application exit"
              sortie boot dist/hello.virtio --cmdline "--ipv4=10.0.2.15/24" --expect "listening"
              sortie boot vm.raw --forward 8080:80 --expect "READY" --timeout 60
            """
    )

    @Argument(help: "A raw disk, a .tar.gz GCE archive, or a kernel.")
    var input: String

    @Option(help: "Regular expression to wait for on the serial console.")
    var expect: String?

    @Option(help: "Seconds to wait before giving up.")
    var timeout: Double = 60

    @Option(help: "Acceleration: auto, kvm or tcg.")
    var accel: String = "auto"

    @Option(help: "Virtual hardware: gce (virtio-scsi disk, virtio-net) or plain (IDE disk).")
    var profile: String = "gce"

    @Option(name: .customLong("forward"), help: "Forward host loopback port to guest port, HOST:GUEST (repeatable).")
    var forwards: [String] = []

    @Option(help: "Guest memory in MiB.")
    var memory: Int = 256

    @Option(parsing: .unconditional, help: "Kernel command line (only when booting a kernel). May start with --.")
    var cmdline: String?

    @Option(help: "Initial ramdisk (only when booting a Linux kernel).")
    var initrd: String?

    @Flag(help: "Do not stream the console; still print its tail on failure.")
    var quiet = false

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be a positive number of seconds") }
        guard ["auto", "kvm", "tcg"].contains(accel) else { throw ValidationError("--accel must be auto, kvm or tcg, not \(accel)") }
        guard DeviceProfile(rawValue: profile) != nil else { throw ValidationError("--profile must be gce or plain, not \(profile)") }
        guard (16...65536).contains(memory) else { throw ValidationError("--memory must be between 16 and 65536 MiB") }
    }

    func run() async throws {
        let report: BootReport = try await reportingErrors {
            let forwards = try self.forwards.map { try PortForward(parsing: $0) }
            let disk = try BootableDisk(input: input, commandLine: cmdline, initrd: initrd, grub: SortieEnvironment.grub)
            defer { disk.cleanUp() }
            let probe = AccelerationProbe(cacheDirectory: SortieEnvironment.cacheDirectory, grub: SortieEnvironment.grub)
            let verdict = try await probe.resolve(Accelerator(rawValue: accel))
            var command = QEMUCommand(accelerator: verdict.accelerator, profile: DeviceProfile(rawValue: profile)!,
                                      diskPath: disk.path, macAddress: QEMUCommand.macAddress(seed: UInt32(getpid())))
            command.memoryMiB = memory
            command.forwards = forwards
            let socketDirectory = NSTemporaryDirectory() + "sortie-qmp-\(getpid())"
            try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: socketDirectory) }
            command.qmpSocket = socketDirectory + "/qmp.sock"
            printDiagnostic("Booting \(input) (\(disk.description)) with QEMU: \(verdict.accelerator.rawValue) (\(verdict.reason)), \(profile) profile, \(memory) MiB"
                            + forwards.map { ", 127.0.0.1:\($0.hostPort) -> guest:\($0.guestPort)" }.joined())
            let boot = GuestBoot(BootRequest(command: command, expect: expect, timeoutSeconds: timeout))
            let signals = SignalWatcher { boot.interrupt() }
            defer { signals.cancel() }
            let quiet = self.quiet
            return try await boot.run { line in
                if !quiet { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
            }
        }
        switch report.outcome {
        case .matched(let line):
            printDiagnostic("Matched /\(expect ?? "")/ after \(formatDecimal(report.seconds, places: 2)) s: \(line)")
        case .poweredOff:
            printDiagnostic("The guest powered off after \(formatDecimal(report.seconds, places: 2)) s.")
        case .failed(let reason):
            var text = "error: \(reason)\n"
            if !report.tail.isEmpty {
                text += "last console lines:\n" + report.tail.map { "  | \($0)" }.joined(separator: "\n") + "\n"
            } else {
                text += "the guest printed nothing on its serial console\n"
            }
            text += "hint: " + hint(for: reason) + "\n"
            FileHandle.standardError.write(Data(text.utf8))
            throw ExitCode(1)
        }
    }

    func hint(for reason: String) -> String {
        if reason.hasPrefix("timed out") {
            return "raise --timeout, or check that the kernel writes to COM1 (serial) and that --expect matches what it prints"
        }
        if reason.contains("crashed") || reason.contains("panicked") {
            return "the kernel failed early; check it boots with the virtio target and enough --memory"
        }
        if reason.hasPrefix("QEMU exited") { return "QEMU's message above says what it could not do" }
        if reason == "interrupted" { return "interrupted by a signal; QEMU was stopped" }
        return "check the console lines above"
    }
}

/// Calls `handler` on SIGINT or SIGTERM instead of dying, so the guest can be stopped first.
final class SignalWatcher: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    init(_ handler: @escaping @Sendable () -> Void) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
