import Testing
@testable import DiskImage

@Suite struct GrubConfigTests {
    @Test func multibootPassesTheKernelNameFirstAndQuotesEachWord() throws {
        let config = try GrubConfig.render(kind: .multiboot1, commandLine: "--ipv4=10.0.0.2/24  $x;y", hasInitrd: false)
        #expect(config.contains("multiboot /boot/kernel /boot/kernel '--ipv4=10.0.0.2/24' '$x;y'\n"))
        #expect(config.hasSuffix("boot\n"))
        #expect(GrubConfig.commandLine(fromConfig: config) == "--ipv4=10.0.0.2/24 $x;y")
    }

    @Test func multiboot2UsesItsOwnCommand() throws {
        let config = try GrubConfig.render(kind: .multiboot2, commandLine: "a", hasInitrd: false)
        #expect(config.contains("multiboot2 /boot/kernel /boot/kernel 'a'"))
    }

    @Test func linuxUsesLinux16AndInitrd16() throws {
        let config = try GrubConfig.render(kind: .linux(protocolVersion: 0x20f, maxCommandLine: 2048),
                                           commandLine: "console=ttyS0 quiet", hasInitrd: true)
        #expect(config.contains("linux16 /boot/kernel 'console=ttyS0' 'quiet'\ninitrd16 /boot/initrd\n"))
        #expect(GrubConfig.commandLine(fromConfig: config) == "console=ttyS0 quiet")
    }

    @Test func refusesWhatGrubWouldRewrite() {
        for bad in ["a 'b'", "a \"b\"", "a\\b", "a\nb"] {
            #expect(throws: GrubConfig.CommandLineError.self) {
                try GrubConfig.render(kind: .multiboot1, commandLine: bad, hasInitrd: false)
            }
        }
    }

    @Test func refusesALinuxCommandLineLongerThanTheKernelAccepts() {
        let error = #expect(throws: GrubConfig.CommandLineError.self) {
            try GrubConfig.render(kind: .linux(protocolVersion: 0x20f, maxCommandLine: 16), commandLine: String(repeating: "x", count: 20), hasInitrd: false)
        }
        #expect(error?.message.contains("at most 15") == true)
    }

    @Test func eachImageCarriesItsLoaderAndTheModulesCoreImageLacks() {
        // A slice of Debian's moddep.lst (GRUB 2.06).
        let dependencies = GrubConfig.moduleDependencies("""
            fat: fshelp
            biosdisk:
            part_msdos:
            serial: extcmd terminfo
            terminfo: extcmd
            terminal:
            configfile: normal
            normal: extcmd boot net
            net: boot
            multiboot: relocator boot net linux
            multiboot2: relocator boot net acpi linux
            linux16: relocator boot linux
            linux: relocator normal boot
            relocator: mmap
            acpi: extcmd mmap
            """)
        let multiboot = GrubConfig.moduleFiles(for: .multiboot1, dependencies: dependencies)
        #expect(multiboot == ["boot", "configfile", "extcmd", "linux", "mmap", "multiboot", "net", "normal",
                              "relocator", "serial", "terminal", "terminfo"])
        let linux = GrubConfig.moduleFiles(for: .linux(protocolVersion: 0x20f, maxCommandLine: 2048), dependencies: dependencies)
        #expect(linux.contains("linux16") && !linux.contains("multiboot"))
        #expect(GrubConfig.moduleFiles(for: .multiboot2, dependencies: dependencies).contains("acpi"))
        for files in [multiboot, linux] {
            #expect(!files.contains("fat") && !files.contains("fshelp") && !files.contains("biosdisk"), "core.img holds these")
        }
    }

    @Test func grubConfigLoadsTheLoaderModuleFirst() throws {
        let config = try GrubConfig.render(kind: .multiboot1, commandLine: "a", hasInitrd: false)
        #expect(config.contains("set timeout=0\ninsmod multiboot\nmultiboot "))
        let linux = try GrubConfig.render(kind: .linux(protocolVersion: 0x20f, maxCommandLine: 2048), commandLine: "a", hasInitrd: false)
        #expect(linux.contains("insmod linux16\nlinux16 "))
    }

    @Test func earlyConfigNamesNoKernelSoCoreImageCanBeShared() {
        #expect(!GrubConfig.early.contains("kernel"))
        #expect(GrubConfig.early.contains("serial --unit=0 --speed=115200"))
        #expect(!GrubConfig.coreModules.contains("ahci") && !GrubConfig.coreModules.contains("pata"))
        // The rescue parser runs the early config: every command it uses is loaded first.
        #expect(GrubConfig.early.hasPrefix("insmod serial\nserial "))
        #expect(GrubConfig.early.contains("insmod terminal\nterminal_input serial"))
        #expect(GrubConfig.early.contains("insmod configfile\nconfigfile /boot/grub/grub.cfg"))
    }
}

@Suite struct FormattingTests {
    @Test func decimalsAndByteCounts() {
        #expect(formatDecimal(0.5349, places: 2) == "0.53")
        #expect(formatDecimal(2.0, places: 2) == "2.00")
        #expect(formatDecimal(12.96, places: 0) == "13")
        #expect(formatBytes(512) == "512 B")
        #expect(formatBytes(1536) == "1.5 KiB")
        #expect(formatBytes(1 << 30) == "1.0 GiB")
    }
}
