import Foundation
import Testing

/// Every kind of bad input gets a clear message, a non-zero status, and no output file.
@Suite struct BadInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var kernel: @Sendable (String) -> String
        var output: @Sendable (String) -> String = { $0 + "/out.tar.gz" }
        var extra: [String] = []
        var environment: [String: String] = [:]
        var message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "missing file", kernel: { $0 + "/nope.virtio" }, message: "kernel <dir>/nope.virtio does not exist"),
        Case(name: "directory", kernel: { $0 }, message: "kernel <dir> is a directory, not a file"),
        Case(name: "empty file", kernel: { dir in write(dir + "/empty", []) }, message: "<dir>/empty is empty (0 bytes)"),
        Case(name: "truncated ELF", kernel: { dir in write(dir + "/trunc", Array(fileBytes(Repo.multibootKernel).prefix(300))) },
             message: "<dir>/trunc is a truncated ELF file (300 bytes)"),
        Case(name: "ELF without multiboot header", kernel: { _ in Repo.guests + "/multiboot/kernel-nomb.elf" },
             message: "is an ELF i386 file without a multiboot header: this looks like a Solo5 hvt/spt or unix build"),
        Case(name: "kernel larger than the disk", kernel: { dir in
            let path = dir + "/huge.elf"
            _ = write(path, fileBytes(Repo.multibootKernel))
            _ = truncate(path, 1_100_000_000)
            return path
        }, message: "the kernel (1.0 GiB) do not fit on a 1 GiB disk"),
        Case(name: "unwritable output", kernel: { _ in Repo.multibootKernel }, output: { $0 + "/no/such/dir/out.tar.gz" },
             message: "cannot write <dir>/no/such/dir/out.tar.gz: the directory <dir>/no/such/dir does not exist"),
        Case(name: "output in /proc", kernel: { _ in Repo.multibootKernel }, output: { _ in "/proc/sortie.tar.gz" },
             message: "cannot write /proc/sortie.tar.gz"),
        Case(name: "unknown output type", kernel: { _ in Repo.multibootKernel }, output: { $0 + "/out.zip" },
             message: "cannot tell the output format from the name <dir>/out.zip"),
        Case(name: "missing grub-pc-bin files", kernel: { _ in Repo.multibootKernel }, environment: ["SORTIE_GRUB_DIR": "/nonexistent/grub"],
             message: "GRUB's BIOS files are missing: /nonexistent/grub/boot.img not found"),
        Case(name: "quote in the command line", kernel: { _ in Repo.multibootKernel }, extra: ["--cmdline", "a='b'"],
             message: "the command line contains a quote (')"),
        Case(name: "initrd with a multiboot kernel", kernel: { _ in Repo.multibootKernel }, extra: ["--initrd", Repo.multibootKernel],
             message: "--initrd is for Linux kernels"),
    ]

    static func write(_ path: String, _ bytes: [UInt8]) -> String {
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @Test(arguments: cases)
    func refusedWithAClearMessage(_ c: Case) {
        let dir = TemporaryDirectory.shared.make()
        let output = c.output(dir)
        let result = sortie(["image", "build", c.kernel(dir), "-o", output] + c.extra, environment: c.environment)
        let expected = c.message.replacingOccurrences(of: "<dir>", with: dir)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: "), "\(result.stderr)")
        #expect(result.stderr.contains(expected), "expected «\(expected)» in:\n\(result.stderr)")
        #expect(result.stderr.contains("hint: "), "no hint in:\n\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(!fileExists(output))
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.filter { $0.contains(".tmp-") } ?? []
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test func inspectOfSomethingThatIsNotAnImage() {
        let dir = TemporaryDirectory.shared.make()
        let missing = sortie("image", "inspect", dir + "/none.tar.gz")
        #expect(missing.status == 1 && missing.stderr.contains("does not exist"))
        let garbage = Self.write(dir + "/bad.tar.gz", [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3])
        let corrupt = sortie("image", "inspect", garbage)
        #expect(corrupt.status == 1)
        #expect(corrupt.stderr.contains("gzip"), "\(corrupt.stderr)")
    }
}
