import Foundation
import SortieSupport

/// The GRUB configuration Sortie writes: the early config baked into core.img, and the per-image
/// `grub.cfg` on the FAT partition.
public enum GrubConfig {
    /// Where core.img finds the per-image config.
    public static let prefix = "(hd0,msdos1)/boot/grub"

    /// The modules inside core.img: just enough to read the FAT partition. No native disk drivers
    /// (`ahci`, `pata`): they disable `biosdisk`, and a virtio-scsi boot disk would vanish.
    ///
    /// core.img is LZMA-compressed and GRUB decompresses it before anything else; under TCG that
    /// costs about 1 ms per 1.3 KB of modules (all of them inside: about 0.3 s of a 0.5 s boot).
    /// Every other module is a file on the partition (`/boot/grub/i386-pc`), read uncompressed.
    public static let coreModules = ["biosdisk", "part_msdos", "fat"]

    /// Modules the early config loads from the partition before it reads `grub.cfg`.
    public static let consoleModules = ["serial", "terminal", "configfile"]

    /// The module whose command boots a kernel of `kind`.
    public static func loaderModule(for kind: KernelKind) -> String {
        switch kind {
        case .multiboot1: return "multiboot"
        case .multiboot2: return "multiboot2"
        case .linux: return "linux16"
        }
    }

    /// Every loader module an image may need, for checking that GRUB's files are all there.
    public static let loaderModules = ["multiboot", "multiboot2", "linux16"]

    /// Directory of the module files on the partition, below `prefix`.
    public static let moduleDirectory = ["BOOT", "GRUB", "i386-pc"]

    /// Baked into core.img: load the console modules, serial console on COM1 at 115200, then the
    /// partition's config. It names no kernel, so core.img is the same for every image and can be
    /// cached. It runs in GRUB's rescue parser (plain commands, `insmod` from `prefix`).
    public static let early = """
        insmod serial
        serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1
        insmod terminal
        terminal_input serial
        terminal_output serial
        set root=(hd0,msdos1)
        insmod configfile
        configfile /boot/grub/grub.cfg

        """

    /// GRUB's module dependencies from its `moddep.lst` (`name: dep dep …` per line).
    public static func moduleDependencies(_ moddep: String) -> [String: [String]] {
        var dependencies: [String: [String]] = [:]
        for line in moddep.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            dependencies[name] = line[line.index(after: colon)...].split(separator: " ").map(String.init)
        }
        return dependencies
    }

    /// `roots` and everything they depend on.
    public static func closure(of roots: [String], dependencies: [String: [String]]) -> Set<String> {
        var seen: Set<String> = []
        var pending = roots
        while let module = pending.popLast() {
            guard seen.insert(module).inserted else { continue }
            pending += dependencies[module] ?? []
        }
        return seen
    }

    /// The module files an image for `kind` carries on its partition, sorted: the console
    /// modules, the loader and their dependencies, minus what core.img already holds.
    public static func moduleFiles(for kind: KernelKind, dependencies: [String: [String]]) -> [String] {
        let needed = closure(of: consoleModules + [loaderModule(for: kind)], dependencies: dependencies)
        return needed.subtracting(closure(of: coreModules, dependencies: dependencies)).sorted()
    }

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
                     "set timeout=0",
                     "insmod \(loaderModule(for: kind))"]
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
