import Foundation

/// The GRUB configuration Sortie writes: the early config baked into core.img, and the per-image
/// `grub.cfg` on the FAT partition.
public enum GrubConfig {
    /// Where core.img finds the per-image config.
    public static let prefix = "(hd0,msdos1)/boot/grub"

    /// The modules core.img needs. No native disk drivers (`ahci`, `pata`): they disable
    /// `biosdisk`, and a virtio-scsi boot disk would vanish.
    public static let modules = ["biosdisk", "part_msdos", "fat", "multiboot", "multiboot2", "linux16",
                                 "serial", "terminal", "configfile"]

    /// Baked into core.img: serial console on COM1 at 115200, then the partition's config.
    /// It names no kernel, so core.img is the same for every image and can be cached.
    public static let early = """
        serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1
        terminal_input serial
        terminal_output serial
        set root=(hd0,msdos1)
        configfile /boot/grub/grub.cfg

        """

    /// Characters GRUB would rewrite on their way to the kernel (it escapes quotes and backslashes).
    static let forbidden: Set<Character> = ["'", "\"", "\\"]

    /// Why a command line cannot be passed unchanged.
    public struct CommandLineError: UserFacingError {
        public let message: String
        public let hint: String?
    }

    /// Splits `commandLine` into words, refusing characters that would not reach the kernel unchanged.
    public static func words(of commandLine: String) throws -> [String] {
        for ch in commandLine {
            if forbidden.contains(ch) {
                throw CommandLineError(message: "the command line contains \(ch == "\\" ? "a backslash" : "a quote (\(ch))"), which GRUB would rewrite before the kernel sees it",
                                       hint: "pass values without quotes; words are separated by spaces")
            }
            if ch.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                throw CommandLineError(message: "the command line contains a control character (newline or tab?)",
                                       hint: "put the whole command line on one line, words separated by spaces")
            }
        }
        return commandLine.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    /// The `grub.cfg` that boots `kind` from `/boot/kernel` with `commandLine`.
    ///
    /// Multiboot kernels get their own name as the first word (Solo5 drops the first word,
    /// expecting it), so `multiboot /boot/kernel /boot/kernel ARGS`.
    public static func render(kind: KernelKind, commandLine: String, hasInitrd: Bool) throws -> String {
        let args = try words(of: commandLine)
        let quoted = args.map { "'\($0)'" }
        var lines = ["# Written by sortie: boots the kernel on COM1 with no menu and no delay.",
                     "set timeout=0"]
        switch kind {
        case .multiboot1:
            lines.append((["multiboot", "/boot/kernel", "/boot/kernel"] + quoted).joined(separator: " "))
        case .multiboot2:
            lines.append((["multiboot2", "/boot/kernel", "/boot/kernel"] + quoted).joined(separator: " "))
        case .linux(_, let maxLength):
            let line = args.joined(separator: " ")
            if maxLength > 0, line.utf8.count >= maxLength {
                throw CommandLineError(message: "the command line is \(line.utf8.count) bytes; this kernel accepts at most \(maxLength - 1)",
                                       hint: "shorten the command line")
            }
            lines.append((["linux16", "/boot/kernel"] + quoted).joined(separator: " "))
            if hasInitrd { lines.append("initrd16 /boot/initrd") }
        }
        lines.append("boot")
        return lines.joined(separator: "\n") + "\n"
    }

    /// What a kernel line in a Sortie `grub.cfg` passes to the kernel, for `sortie image inspect`.
    public static func commandLine(fromConfig config: String) -> String? {
        for raw in config.split(separator: "\n") {
            let words = raw.split(separator: " ").map { $0.trimmingCharacters(in: ["'"]) }
            guard let verb = words.first else { continue }
            switch verb {
            case "multiboot", "multiboot2":
                return words.dropFirst(3).joined(separator: " ")
            case "linux16", "linux":
                return words.dropFirst(2).joined(separator: " ")
            default: continue
            }
        }
        return nil
    }
}
