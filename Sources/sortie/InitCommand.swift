import ArgumentParser
import DeployConfig
import DiskImage
import Foundation
import ImageBuilder

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented starter sortie.yml for a kernel.",
        discussion: """
            Detects the kernel's kind (multiboot ELF or Linux bzImage) and writes
            sortie.yml in the current directory, with a comment on every key and a
            local target for `sortie serve`. Without --kernel, looks for a likely
            kernel (*.virtio, Unikraft *_qemu-x86_64, bzImage, vmlinuz*, dist/*,
            *.hvt, _build/**) and says which one it chose. Never overwrites an
            existing sortie.yml unless --force is given. Every key is described in
            docs/sortie-yml.md.

            Examples:
              sortie init
              sortie init --kernel dist/hello.virtio --app hello
              sortie init --kernel vmlinuz --force
            """
    )

    static let fileName = "sortie.yml"

    @Option(help: "The kernel to deploy (default: the most likely kernel under this directory).")
    var kernel: String?

    @Option(help: "The app name, the prefix of every resource name (default: from the kernel's file name).")
    var app: String?

    @Flag(help: "Overwrite an existing sortie.yml.")
    var force = false

    func validate() throws {
        if let app, let problem = DeployConfiguration.appNameProblem(app) { throw ValidationError("--app: \(problem)") }
    }

    func run() async throws {
        try await reportingErrors {
            let path = Self.fileName
            if FileManager.default.fileExists(atPath: path), !force {
                throw FileError("\(path) already exists", hint: "edit it, or run `sortie init --force` to replace it")
            }
            let chosen = try kernel.map { (path: $0, kind: try KernelFiles.detect($0)) } ?? KernelFiles.find()
            let directoryName = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).lastPathComponent
            let appName = app ?? StarterConfig.suggestedAppName(kernelPath: chosen?.path, directoryName: directoryName)
            let text = StarterConfig.render(app: appName, kernelPath: chosen?.path, kernelKind: chosen?.kind)
            _ = try DeployConfiguration.parse(text, file: path)
            let output = try AtomicOutput(path: path)
            let sink = FileSink(fd: output.fd, path: path)
            try Array(text.utf8).withUnsafeBytes { try sink.write($0) }
            try sink.flush()
            try output.commit()
            if let chosen {
                print("Wrote \(path) for \(appName): kernel \(chosen.path), \(chosen.kind.displayName).")
            } else {
                print("Wrote \(path) for \(appName) with the placeholder kernel dist/\(appName).virtio: no kernel was found.")
            }
            print("Next: check service.port and service.health.path, and add a cloud target when you need one.")
        }
    }
}

/// Finding and recognising kernels for `sortie init`.
enum KernelFiles {
    /// Directories never searched: version control, build caches, dependencies.
    static let skipped: Set = [".git", ".build", "node_modules", "_opam", ".venv"]
    static let maximumFiles = 20_000
    static let maximumCandidates = 20

    /// The kind of the kernel at `path`, or the detector's explanation of why it is not one.
    static func detect(_ path: String) throws -> KernelKind {
        try KernelDetector.detect(try FileIO.readAll(path, role: "kernel"), name: path)
    }

    /// The best kernel under the current directory, saying on stderr which one was chosen; nil
    /// when nothing looks like one. When candidates exist but none is a kernel Sortie can boot,
    /// the best candidate's detection error explains what to change.
    static func find() throws -> (path: String, kind: KernelKind)? {
        let candidates = KernelSearch.candidates(in: listFiles()).prefix(maximumCandidates)
        var firstError: Error?
        for candidate in candidates {
            do {
                let kind = try detect(candidate)
                let others = candidates.filter { $0 != candidate }
                printDiagnostic("sortie init: using the kernel \(candidate) (\(kind.displayName))"
                                + (others.isEmpty ? "" : "; other candidates: \(others.joined(separator: ", "))"))
                return (candidate, kind)
            } catch {
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
        return nil
    }

    /// Regular files under the current directory, relative, skipping hidden and cache directories.
    static func listFiles() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: ".") else { return [] }
        var files: [String] = []
        while let path = walker.nextObject() as? String, files.count < maximumFiles {
            let name = (path as NSString).lastPathComponent
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                if skipped.contains(name) || (name.hasPrefix(".") && name != ".unikraft") { walker.skipDescendants() }
            } else {
                files.append(path)
            }
        }
        return files
    }
}
