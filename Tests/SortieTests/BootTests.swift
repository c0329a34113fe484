import Foundation
import Testing

/// Real boots under TCG. Serialized so that timings stay far from the timeouts on 2 cores.
@Suite(.serialized) struct BootTests {
    let dir = TemporaryDirectory.shared.make()

    @Test func multibootImageBootsAndTheKernelSeesTheExactCommandLine() {
        let archive = dir + "/mb.tar.gz"
        #expect(sortie("image", "build", Repo.multibootKernel, "--cmdline", "--ipv4=10.0.0.2/24 $x;y hello", "-o", archive).status == 0)
        let result = sortie("boot", archive, "--expect", "SORTIE-TEST-OK", "--accel", "tcg", "--timeout", "60")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("SORTIE-TEST-KERNEL cmdline=[/boot/kernel --ipv4=10.0.0.2/24 $x;y hello]\n"), "\(result.stdout)")
        #expect(result.stderr.contains("Matched /SORTIE-TEST-OK/"))
        #expect(qemuProcesses(mentioning: dir).isEmpty)
    }

    @Test func theRawDiskGNUTarExtractsAlsoBoots() {
        let archive = dir + "/x.tar.gz", out = TemporaryDirectory.shared.make()
        sortie("image", "build", Repo.multibootKernel, "--cmdline", "from-tar", "-o", archive)
        #expect(run("/usr/bin/tar", ["-xzf", archive, "-C", out]).status == 0)
        let result = sortie("boot", out + "/disk.raw", "--accel", "tcg", "--timeout", "60")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("cmdline=[/boot/kernel from-tar]"))
        #expect(result.stderr.contains("The guest powered off"))
    }

    @Test func multiboot2KernelBoots() {
        let result = sortie("boot", Repo.guests + "/multiboot/kernel-mb2.elf", "--cmdline", "two", "--expect", "SORTIE-TEST-OK", "--timeout", "60")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("cmdline=[/boot/kernel two]"))
    }

    @Test func plainProfileBootsFromIDE() {
        let result = sortie("boot", Repo.multibootKernel, "--profile", "plain", "--expect", "SORTIE-TEST-OK", "--timeout", "60")
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func linuxBzImageWithInitrdBootsFromASortieImage() {
        let archive = dir + "/linux.tar.gz"
        let build = sortie("image", "build", Repo.guests + "/linux/vmlinuz", "--initrd", Repo.guests + "/linux/initrd.img",
                           "--cmdline", "sortie.poweroff", "-o", archive)
        #expect(build.status == 0, "\(build.stderr)")
        #expect(build.stdout.contains("console=ttyS0,115200 sortie.poweroff"))
        let result = sortie("boot", archive, "--expect", "SORTIE-LINUX-OK", "--timeout", "120")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("SORTIE-LINUX-BOOTED"))
    }

    @Test func aCrashingGuestFailsWithItsConsoleTail() {
        let result = sortie("boot", Repo.multibootKernel, "--cmdline", "crash", "--timeout", "60")
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: the guest crashed"), "\(result.stderr)")
        #expect(result.stderr.contains("  | SORTIE-TEST-CRASHING"))
        #expect(result.stderr.contains("hint: "))
    }

    @Test func aSilentGuestTimesOutAndLeavesNoQEMU() {
        let kernel = dir + "/hang-kernel.elf"
        try? FileManager.default.copyItem(atPath: Repo.multibootKernel, toPath: kernel)
        let result = sortie("boot", kernel, "--cmdline", "hang", "--expect", "NEVER", "--timeout", "4")
        #expect(result.status == 1)
        #expect(result.stderr.contains("timed out after 4.00 s: no console line matched /NEVER/"), "\(result.stderr)")
        #expect(result.stderr.contains("  | SORTIE-TEST-KERNEL cmdline=[/boot/kernel hang]"))
        #expect(qemuProcesses(mentioning: "sortie-boot").filter { $0.contains(dir) }.isEmpty)
    }

    @Test func ctrlCStopsTheGuest() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repo.sortie)
        let image = dir + "/interrupt.raw"
        sortie("image", "build", Repo.multibootKernel, "--cmdline", "hang", "-o", image)
        process.arguments = ["boot", image, "--expect", "NEVER", "--timeout", "120"]
        process.environment = ProcessInfo.processInfo.environment.merging(["SORTIE_CACHE_DIR": dir + "/cache"]) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait for QEMU to be up (its command line names the image), then interrupt.
        let deadline = Date().addingTimeInterval(30)
        while qemuProcesses(mentioning: image).isEmpty, Date() < deadline { usleep(50_000) }
        #expect(!qemuProcesses(mentioning: image).isEmpty)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 1)
        #expect(stderr.contains("error: interrupted"), "\(stderr)")
        #expect(qemuProcesses(mentioning: image).isEmpty)
    }

    @Test func killingSortieWithSIGKILLTakesQEMUWithIt() throws {
        let image = dir + "/sigkill.raw"
        sortie("image", "build", Repo.multibootKernel, "--cmdline", "hang", "-o", image)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repo.sortie)
        process.arguments = ["boot", image, "--expect", "NEVER", "--timeout", "120"]
        process.environment = ProcessInfo.processInfo.environment.merging(["SORTIE_CACHE_DIR": dir + "/cache"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while qemuProcesses(mentioning: image).isEmpty, Date() < deadline { usleep(50_000) }
        #expect(!qemuProcesses(mentioning: image).isEmpty)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let gone = Date().addingTimeInterval(5)
        while !qemuProcesses(mentioning: image).isEmpty, Date() < gone { usleep(50_000) }
        #expect(qemuProcesses(mentioning: image).isEmpty)
    }

    @Test func forwardedPortReachesAServingLinuxGuest() throws {
        let port = 20_000 + Int(getpid() % 20_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repo.sortie)
        process.arguments = ["boot", Repo.guests + "/linux/vmlinuz", "--initrd", Repo.guests + "/linux/initrd.img",
                             "--cmdline", "sortie.version=7", "--forward", "\(port):80", "--expect", "NEVER", "--timeout", "180", "--quiet"]
        process.environment = ProcessInfo.processInfo.environment.merging(["SORTIE_CACHE_DIR": dir + "/cache"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var body = ""
        let deadline = Date().addingTimeInterval(150)
        while Date() < deadline, process.isRunning {
            let curl = run("/usr/bin/curl", ["-s", "--max-time", "2", "http://127.0.0.1:\(port)/"])
            if curl.status == 0, !curl.stdout.isEmpty { body = curl.stdout; break }
            usleep(500_000)
        }
        #expect(body == "hello from version 7")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(qemuProcesses(mentioning: "hostfwd=tcp:127.0.0.1:\(port)-").isEmpty)
    }

    @Test func probeKernelMatchesItsSourceAndBootsThroughGRUB() throws {
        let built = fileBytes(Repo.guests + "/probe/probe.bin")
        let source = try String(contentsOfFile: Repo.root + "/Sources/Machine/ProbeKernel.swift", encoding: .utf8)
        let embedded = source.matches(of: /0x([0-9a-f]{2})/).map { UInt8($0.1, radix: 16)! }
        #expect(!built.isEmpty && embedded == built, "Sources/Machine/ProbeKernel.swift is stale; regenerate it with tests/guests/probe/gen-swift.sh")
        let result = sortie("boot", Repo.guests + "/probe/probe.bin", "--expect", "SORTIE-PROBE-OK", "--accel", "tcg", "--timeout", "60")
        #expect(result.status == 0, "\(result.stderr)")
    }
}
