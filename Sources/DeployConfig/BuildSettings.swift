/// `build:` what to run and which kernel it produces. Paths are relative to the directory that
/// holds `sortie.yml`.
public struct BuildSettings: Sendable, Equatable {
    /// `build.command`: run with `/bin/sh -c` before each deploy; nil when the user builds by other means.
    public var command: ConfigString?
    /// `build.kernel`: a multiboot ELF (Solo5 virtio, Unikraft kvm, IncludeOS) or a Linux bzImage. Required.
    public var kernel: ConfigString
    /// `build.initrd`: an initial ramdisk, for a Linux bzImage only.
    public var initrd: ConfigString?
    /// `build.cmdline`: the kernel command line; empty by default.
    public var cmdline: ConfigString

    public init(command: ConfigString? = nil, kernel: ConfigString, initrd: ConfigString? = nil, cmdline: ConfigString = "") {
        self.command = command
        self.kernel = kernel
        self.initrd = initrd
        self.cmdline = cmdline
    }

    static let keys = ["command", "kernel", "initrd", "cmdline"]

    init(_ node: ConfigNode) throws {
        let map = try node.required("the kernel to deploy, e.g. build: { kernel: dist/hello.virtio }") { try $0.mapping(Self.keys) }
        command = try map["command"].optional { try $0.string() }
        kernel = try map["kernel"].required("the path of the kernel the build produces, e.g. dist/hello.virtio") { try $0.string() }
        initrd = try map["initrd"].optional { try $0.string() }
        cmdline = try map["cmdline"].optional { try $0.string() } ?? ""
        for (key, value) in [("kernel", kernel), ("initrd", initrd)] {
            if let value, value.value.isEmpty { throw map[key].error("is empty; give a file path") }
        }
    }
}
