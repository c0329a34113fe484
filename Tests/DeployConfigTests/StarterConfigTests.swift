import DeployConfig
import DiskImage
import Testing

/// `sortie init`'s generator: a commented file that parses back, for each kind of kernel.
@Suite struct StarterConfigTests {
    @Test(arguments: [KernelKind.multiboot1, .multiboot2, .linux(protocolVersion: 0x020f, maxCommandLine: 2047)])
    func starterParsesBack(_ kind: KernelKind) throws {
        let text = StarterConfig.render(app: "hello", kernelPath: "dist/hello.virtio", kernelKind: kind)
        let config = try DeployConfiguration.parse(text)
        #expect(config.app == "hello")
        #expect(config.build.kernel == "dist/hello.virtio")
        #expect(config.service.port == 8080)
        #expect(config.service.instances == InstanceCount(min: 2, max: 2))
        #expect(config.targets.map(\.name) == ["local"])
        #expect(text.contains(kind.displayName))
        #expect(config.build.cmdline == (kind.isMultiboot ? "" : "console=ttyS0"))
        #expect(text.contains("# initrd:") == !kind.isMultiboot)
    }

    /// Addresses come from DHCP on GCE and on the local plane: the starter never suggests static ones.
    @Test(arguments: [KernelKind.multiboot1, .multiboot2])
    func solo5StarterSuggestsDHCP(_ kind: KernelKind) {
        let text = StarterConfig.render(app: "hello", kernelPath: "dist/hello.virtio", kernelKind: kind)
        #expect(!text.contains("--ipv4"))
        #expect(text.contains("DHCP") && text.contains("MirageOS 4.10.5 and later") && text.contains("\"--dhcp=true\""))
        #expect(text.contains("10.0.2.15/24, gateway 10.0.2.2"))
    }

    @Test func everyKeyIsExplained() {
        let text = StarterConfig.render(app: "hello", kernelPath: "k", kernelKind: .multiboot1)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (index, line) in lines.enumerated() where !line.hasPrefix("#") && line.contains(":") && !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
            let key = line.trimmingCharacters(in: .whitespaces)
            guard !["build:", "image:", "service:", "targets:"].contains(key) else { continue }
            #expect(lines[index - 1].trimmingCharacters(in: .whitespaces).hasPrefix("#"), "no comment above \(line)")
        }
    }

    @Test func noKernelGivesAPlaceholder() throws {
        let text = StarterConfig.render(app: "web", kernelPath: nil, kernelKind: nil)
        #expect(try DeployConfiguration.parse(text).build.kernel == "dist/web.virtio")
        #expect(text.contains("no kernel found yet"))
    }

    @Test func unusualPathsAreQuoted() throws {
        let path = "out dir/${x}/k\"1\".virtio"
        let text = StarterConfig.render(app: "web", kernelPath: path, kernelKind: .multiboot1)
        #expect(try DeployConfiguration.parse(text).build.kernel.value == path)
    }

    @Test(arguments: [
        ("dist/hello.virtio", "proj", "hello"),
        ("_build/My_Service.virtio", "proj", "my-service"),
        ("bzImage", "my-vm", "my-vm"),
        ("dist/kernel.elf", "Web Server", "web-server"),
        ("vmlinuz", "123", "app"),
        (nil, "unikernel-project-with-a-very-long-name", "unikernel-project-with-a"),
    ] as [(String?, String, String)])
    func appNames(_ kernel: String?, _ directory: String, _ expected: String) {
        #expect(StarterConfig.suggestedAppName(kernelPath: kernel, directoryName: directory) == expected)
        #expect(DeployConfiguration.appNameProblem(expected) == nil)
    }

    @Test func kernelSearchRanksLikelyKernelsFirst() {
        let files = ["README.md", "dist/initrd.img", "hello.hvt", "dist/hello.virtio", "_build/default/hello.virtio",
                     "src/main.ml", "linux/arch/x86/boot/bzImage", "dist/.hidden", ".unikraft/build/app_qemu-x86_64"]
        #expect(KernelSearch.candidates(in: files) == [
            ".unikraft/build/app_qemu-x86_64", "dist/hello.virtio", "linux/arch/x86/boot/bzImage",
            "dist/initrd.img", "hello.hvt", "_build/default/hello.virtio",
        ])
    }
}
