import DiskImage
import Foundation
import SortieSupport

/// GRUB 2 for BIOS (Debian's grub-pc-bin): `boot.img`, a `core.img` made once by grub-mkimage and
/// cached, since it depends only on the GRUB build and Sortie's fixed early config, and the module
/// files an image carries on its partition.
public struct GrubFiles: Sendable {
    public var bootImage: [UInt8]
    public var coreImage: [UInt8]
    /// core.img's raw deflate form (see `SharedBlock`), cached beside it so that archives need
    /// not compress it again.
    public var coreDeflated: [UInt8]?
    /// True when core.img came from the cache rather than a fresh grub-mkimage run.
    public var fromCache: Bool
    /// GRUB's module dependencies (moddep.lst).
    public var dependencies: [String: [String]]
    /// The directory the module files are read from.
    public var moduleDirectory: String

    /// The module files an image of a `kind` kernel carries on its partition.
    public func modules(for kind: KernelKind) throws -> [GrubModule] {
        try GrubConfig.moduleFiles(for: kind, dependencies: dependencies).map {
            GrubModule(name: $0, bytes: try FileIO.readAll("\(moduleDirectory)/\($0).mod", role: "GRUB module"))
        }
    }

    /// Where GRUB's i386-pc files are and where to cache core.img.
    public struct Location: Sendable {
        public var moduleDirectory: String
        public var mkimage: String?
        public var cacheDirectory: String

        public init(moduleDirectory: String = "/usr/lib/grub/i386-pc", mkimage: String? = nil, cacheDirectory: String) {
            self.moduleDirectory = moduleDirectory
            self.mkimage = mkimage
            self.cacheDirectory = cacheDirectory
        }
    }

    static let installHint = "install GRUB for BIOS with `apt-get install grub-pc-bin` (Debian/Ubuntu), or point SORTIE_GRUB_DIR at an i386-pc module directory"

    /// Loads boot.img and core.img, running grub-mkimage only when the cache has no core.img for
    /// this GRUB build.
    public static func load(_ location: Location, runner: CommandRunner = SystemCommandRunner()) throws -> GrubFiles {
        let dir = location.moduleDirectory
        for file in ["boot.img", "kernel.img", "moddep.lst"] where !FileManager.default.fileExists(atPath: "\(dir)/\(file)") {
            throw FileError("GRUB's BIOS files are missing: \(dir)/\(file) not found", hint: installHint)
        }
        guard let moddep = try? String(contentsOfFile: "\(dir)/moddep.lst", encoding: .utf8) else {
            throw FileError("cannot read GRUB's module list \(dir)/moddep.lst", hint: installHint)
        }
        let dependencies = GrubConfig.moduleDependencies(moddep)
        let allModules = GrubConfig.closure(of: GrubConfig.coreModules + GrubConfig.consoleModules + GrubConfig.loaderModules,
                                            dependencies: dependencies)
        let moduleFiles = allModules.sorted().map { "\($0).mod" }
        for file in moduleFiles where !FileManager.default.fileExists(atPath: "\(dir)/\(file)") {
            throw FileError("GRUB's BIOS files are missing: \(dir)/\(file) not found", hint: installHint)
        }
        let needed = ["boot.img", "kernel.img", "moddep.lst"] + moduleFiles
        let boot = try FileIO.readAll("\(dir)/boot.img", role: "GRUB boot image")
        guard boot.count == 512 else { throw FileError("\(dir)/boot.img is \(boot.count) bytes, expected 512", hint: installHint) }

        let key = try cacheKey(dir, files: needed)
        let cached = "\(location.cacheDirectory)/grub-core-\(key).img"
        if let core = try? FileIO.readAll(cached, role: "cached core.img"), core.count > 512 {
            return GrubFiles(bootImage: boot, coreImage: core, coreDeflated: deflated(core, cache: cached), fromCache: true,
                             dependencies: dependencies, moduleDirectory: dir)
        }
        guard let mkimage = location.mkimage ?? ExecutableSearch.find("grub-mkimage") else {
            throw FileError("grub-mkimage is not installed", hint: "install it with `apt-get install grub-pc-bin grub-common`")
        }
        try FileManager.default.createDirectory(atPath: location.cacheDirectory, withIntermediateDirectories: true)
        let early = "\(location.cacheDirectory)/.early-\(getpid()).cfg"
        try Data(GrubConfig.early.utf8).write(to: URL(fileURLWithPath: early))
        defer { unlink(early) }
        let output = try AtomicOutput(path: cached)
        let result = try runner.run(mkimage, ["-O", "i386-pc", "-d", dir, "-p", GrubConfig.prefix, "-c", early,
                                              "-o", output.temporaryPath] + GrubConfig.coreModules)
        guard result.status == 0 else {
            throw FileError("grub-mkimage failed (status \(result.status)): \(result.errorOutput.trimmingCharacters(in: .whitespacesAndNewlines))",
                            hint: installHint)
        }
        try output.commit()
        let core = try FileIO.readAll(cached, role: "core.img")
        return GrubFiles(bootImage: boot, coreImage: core, coreDeflated: deflated(core, cache: cached), fromCache: false,
                         dependencies: dependencies, moduleDirectory: dir)
    }

    /// The deflate form of core.img, from `CORE.deflate6` beside it or computed and stored there.
    /// Only an optimisation: nil (or a lost cache) gives the same archive bytes, more slowly.
    static func deflated(_ core: [UInt8], cache corePath: String) -> [UInt8]? {
        let path = corePath + ".deflate6"
        if let bytes = try? FileIO.readAll(path, role: "cached deflate"), !bytes.isEmpty { return bytes }
        guard let bytes = ParallelGzipWriter.deflateBlock(core, level: 6), let output = try? AtomicOutput(path: path) else { return nil }
        let sink = FileSink(fd: output.fd, path: path)
        guard (try? sink.write(bytes)) != nil, (try? sink.flush()) != nil, (try? output.commit()) != nil else { return nil }
        return bytes
    }

    /// Identifies the GRUB build by the size and modification time of every file core.img is made
    /// from, plus the early config and module list.
    static func cacheKey(_ dir: String, files: [String]) throws -> String {
        var hasher = FNV1a()
        for file in files {
            var st = stat()
            guard stat("\(dir)/\(file)", &st) == 0 else { throw FileError("cannot stat \(dir)/\(file)", hint: installHint) }
            hasher.add("\(file):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec);")
        }
        hasher.add(GrubConfig.early)
        hasher.add(GrubConfig.coreModules.joined(separator: ","))
        hasher.add(GrubConfig.prefix)
        return String(hasher.value, radix: 16)
    }
}

/// 64-bit FNV-1a, for cache keys (not for anything adversarial).
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func add(_ text: String) {
        for byte in text.utf8 { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
    }
}
