import Foundation
import Testing

@Suite struct ImageBuildTests {
    let dir = TemporaryDirectory.shared.make()

    @Test func archiveIsOneDiskRawMemberThatGNUTarExtractsToTheRawDisk() throws {
        let archive = dir + "/hello.tar.gz", raw = dir + "/hello.raw"
        let a = sortie("image", "build", Repo.multibootKernel, "--cmdline", "hello world", "-o", archive)
        let b = sortie("image", "build", Repo.multibootKernel, "--cmdline", "hello world", "-o", raw)
        #expect(a.status == 0, "\(a.stderr)")
        #expect(b.status == 0, "\(b.stderr)")
        let listing = run("/usr/bin/tar", ["-tvzf", archive])
        #expect(listing.status == 0)
        let lines = listing.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains(" 1073741824 ") == true && lines.first?.hasSuffix(" disk.raw") == true, "\(listing.stdout)")
        let out = TemporaryDirectory.shared.make()
        #expect(run("/usr/bin/tar", ["-xzf", archive, "-C", out]).status == 0)
        #expect(run("/usr/bin/cmp", [out + "/disk.raw", raw]).status == 0, "GNU tar's disk.raw differs from the raw output")
        // Sparse on disk: far less than 1 GiB allocated.
        var st = stat()
        stat(raw, &st)
        #expect(st.st_size == 1 << 30)
        #expect(st.st_blocks * 512 < 8 << 20)
    }

    @Test func twoBuildsAreByteIdenticalAndTheTimestampIsAnInput() {
        let first = dir + "/a.tar.gz", second = TemporaryDirectory.shared.make() + "/b.tar.gz", third = dir + "/c.tar.gz"
        sortie("image", "build", Repo.multibootKernel, "--cmdline", "x", "-o", first)
        sortie("image", "build", Repo.multibootKernel, "--cmdline", "x", "-o", second)
        sortie(["image", "build", Repo.multibootKernel, "--cmdline", "x", "-o", third], environment: ["SOURCE_DATE_EPOCH": "1700000000"])
        #expect(!fileBytes(first).isEmpty)
        #expect(fileBytes(first) == fileBytes(second))
        #expect(fileBytes(first) != fileBytes(third))
        let rawA = dir + "/a.raw", rawB = dir + "/b.raw"
        sortie("image", "build", Repo.multibootKernel, "-o", rawA)
        sortie("image", "build", Repo.multibootKernel, "-o", rawB)
        #expect(run("/usr/bin/cmp", [rawA, rawB]).status == 0)
    }

    @Test func fsckFatFindsNoErrorInThePartition() {
        let raw = dir + "/fsck.raw", part = dir + "/fsck.part"
        #expect(sortie("image", "build", Repo.multibootKernel, "-o", raw).status == 0)
        #expect(run("/usr/bin/dd", ["if=\(raw)", "of=\(part)", "bs=512", "skip=2048", "conv=sparse", "status=none"]).status == 0)
        let fsck = run("/usr/sbin/fsck.fat", ["-n", part])
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
        // Every file inspect lists (GRUB's modules under long names among them) plus the three
        // directories /boot, /boot/grub and /boot/grub/i386-pc and the volume label, as dosfstools
        // counts them.
        let listed = (try? JSONSerialization.jsonObject(with: Data(sortie("image", "inspect", raw, "--json").stdout.utf8)) as? [String: Any])?["files"] as? [Any]
        let files = listed?.count ?? 0
        #expect(files > 10)
        #expect(fsck.stdout.contains("\(files + 4) files"), "\(fsck.stdout)")
    }

    @Test func sizeOptionGivesWholeGiB() {
        let archive = dir + "/two.tar.gz"
        #expect(sortie("image", "build", Repo.multibootKernel, "--size", "2", "-o", archive).status == 0)
        #expect(run("/usr/bin/tar", ["-tvzf", archive]).stdout.contains(" 2147483648 "))
    }

    @Test func inspectReportsLayoutKernelCommandLineAndGCERules() throws {
        let archive = dir + "/inspect.tar.gz", raw = dir + "/inspect.raw"
        sortie("image", "build", Repo.multibootKernel, "--cmdline", "--ipv4=10.0.0.2/24 x", "-o", archive)
        sortie("image", "build", Repo.multibootKernel, "--cmdline", "--ipv4=10.0.0.2/24 x", "-o", raw)
        let human = sortie("image", "inspect", archive)
        #expect(human.status == 0, "\(human.stderr)")
        for fragment in ["FAT32 (LBA)", "/boot/kernel", "/boot/grub/grub.cfg", "/boot/grub/i386-pc/multiboot.mod", "Kernel:       multiboot (v1)",
                         "Command line: --ipv4=10.0.0.2/24 x", "ok    exactly one member, named disk.raw",
                         "ok    GNU oldgnu tar format", "This image meets GCE's import rules."] {
            #expect(human.stdout.contains(fragment), "missing \(fragment) in:\n\(human.stdout)")
        }
        let json = sortie("image", "inspect", archive, "--json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["diskBytes"] as? Int == 1 << 30)
        #expect(object["commandLine"] as? String == "--ipv4=10.0.0.2/24 x")
        // A raw disk is readable but is not yet an importable archive: exit status 2.
        let rawReport = sortie("image", "inspect", raw)
        #expect(rawReport.status == 2)
        #expect(rawReport.stdout.contains("FAIL  packed as a GCE archive"))
        #expect(rawReport.stdout.contains("Kernel:       multiboot (v1)"))
    }

    @Test func inspectJudgesArchivesMadeByGNUTar() {
        let work = TemporaryDirectory.shared.make()
        sortie("image", "build", Repo.multibootKernel, "-o", work + "/disk.raw")
        #expect(run("/usr/bin/tar", ["--format=oldgnu", "-Sczf", work + "/google.tar.gz", "-C", work, "disk.raw"]).status == 0)
        #expect(sortie("image", "inspect", work + "/google.tar.gz").status == 0)
        #expect(run("/usr/bin/tar", ["--format=pax", "-Sczf", work + "/pax.tar.gz", "-C", work, "disk.raw"]).status == 0)
        let pax = sortie("image", "inspect", work + "/pax.tar.gz")
        #expect(pax.status == 2)
        #expect(pax.stdout.contains("FAIL  GNU oldgnu tar format, no PAX headers"), "\(pax.stdout)")
    }

    @Test func coreImageIsBuiltOnceAndThenCached() {
        let cache = TemporaryDirectory.shared.make()
        let first = sortie(["image", "build", Repo.multibootKernel, "-o", dir + "/c1.raw"], environment: ["SORTIE_CACHE_DIR": cache])
        let second = sortie(["image", "build", Repo.multibootKernel, "-o", dir + "/c2.raw"], environment: ["SORTIE_CACHE_DIR": cache])
        #expect(first.stdout.contains("built with grub-mkimage"))
        #expect(second.stdout.contains("from cache"))
        #expect(run("/usr/bin/cmp", [dir + "/c1.raw", dir + "/c2.raw"]).status == 0)
    }
}
