import ArgumentParser
import DiskImage
import Foundation
import ImageBuilder

struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Build and inspect bootable disk images.",
        subcommands: [ImageBuildCommand.self, ImageInspectCommand.self]
    )
}

struct ImageBuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Make a bootable GCE disk image (raw or .tar.gz) from a kernel.",
        discussion: """
            The disk has an MBR with GRUB 2 (from Debian's grub-pc-bin) and one FAT32 partition from
            sector 2048 holding the kernel and a GRUB config with the serial console on COM1 at
            115200. The same inputs always give the same bytes (set SOURCE_DATE_EPOCH to choose the
            file timestamps). Output ending in .tar.gz is GCE's import archive (disk.raw in GNU
            oldgnu sparse tar, gzip); .raw is the sparse raw disk.

            Examples:
              sortie image build dist/hello.virtio --cmdline "--dhcp=true" -o hello.tar.gz
              sortie image build vmlinuz --initrd initrd.img --cmdline "quiet" --size 2 -o vm.raw
            """
    )

    @Argument(help: "The kernel: a multiboot ELF (Solo5 virtio, Unikraft kvm, IncludeOS) or a Linux bzImage.")
    var kernel: String

    @Option(name: [.short, .customLong("output")], help: "Output file: NAME.tar.gz (GCE archive) or NAME.raw.")
    var output: String

    @Option(parsing: .unconditional, help: "Kernel command line (words separated by spaces; no quotes or backslashes). May start with --.")
    var cmdline: String = ""

    @Option(help: "Initial ramdisk, for Linux kernels.")
    var initrd: String?

    @Option(help: "Disk size in GiB (GCE requires whole GiB).")
    var size: Int = 1

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        try await reportingErrors {
            let request = ImageBuildRequest(kernelPath: kernel, initrdPath: initrd, commandLine: cmdline, sizeGiB: size,
                                            outputPath: output, grub: SortieEnvironment.grub,
                                            timestamp: try SortieEnvironment.timestamp())
            let result = try ImageBuild.run(request)
            if json { try printJSON(result); return }
            let milliseconds = Int((result.seconds * 1000).rounded())
            print("Built \(result.output) in \(milliseconds) ms")
            print("  kernel        \(result.kernelKind), \(kernel)")
            print("  command line  \(result.commandLine.isEmpty ? "(empty)" : result.commandLine)")
            print("  disk          \(formatBytes(result.diskBytes)), \(formatBytes(result.dataBytes)) of data")
            print("  output        \(result.format == "raw" ? "sparse raw disk" : "GCE image archive"), \(formatBytes(result.outputBytes))")
            print("  GRUB core.img \(result.coreImageCached ? "from cache" : "built with grub-mkimage (cached for next time)")")
        }
    }
}

struct ImageInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show an image's partitions, files, kernel and whether GCE will import it.",
        discussion: """
            Exits with status 0 when every GCE import rule is met, 2 when the image is readable but
            breaks a rule.

            Examples:
              sortie image inspect hello.tar.gz
              sortie image inspect hello.raw --json
            """
    )

    @Argument(help: "A raw disk or a .tar.gz GCE archive.")
    var image: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        let report = try await reportingErrors { try ImageInspection.inspect(image) }
        if json {
            try printJSON(report)
        } else {
            printHuman(report)
        }
        if !report.meetsGCERules { throw ExitCode(2) }
    }

    func printHuman(_ r: ImageInspection) {
        let kind = r.container == "raw" ? "raw disk" : "GCE image archive"
        print("\(r.path): \(kind), \(formatBytes(r.fileBytes)) on disk")
        print("Disk: \(formatBytes(r.diskBytes)) (\(r.diskBytes) bytes), signature \(r.diskSignature)")
        print("")
        if r.partitions.isEmpty {
            print("Partitions: none")
        } else {
            let rows = r.partitions.map { p in
                ["\(p.index)", p.bootable ? "*" : "", p.type, "\(p.firstSector)", "\(p.sectors)", formatBytes(p.bytes)]
            }
            print(Table(header: ["#", "BOOT", "TYPE", "START", "SECTORS", "SIZE"], rows: rows).render())
        }
        print("")
        if !r.files.isEmpty {
            print(Table(header: ["FILE", "SIZE"], rows: r.files.map { [$0.path, formatBytes(UInt64($0.bytes))] }).render())
            print("")
        }
        print("Kernel:       \(r.kernelKind ?? "none found at /boot/kernel")")
        if let cmdline = r.commandLine { print("Command line: \(cmdline.isEmpty ? "(empty)" : cmdline)") }
        print("")
        print("GCE import rules:")
        for rule in r.rules {
            print("  \(rule.ok ? "ok  " : "FAIL")  \(rule.rule) (\(rule.detail))")
        }
        print(r.meetsGCERules ? "\nThis image meets GCE's import rules." : "\nThis image does not meet GCE's import rules.")
    }
}
