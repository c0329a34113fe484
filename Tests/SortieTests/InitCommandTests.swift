import DeployConfig
import Foundation
import Testing

/// `sortie init`: finds or takes a kernel, writes a starter that parses, never overwrites by accident.
@Suite struct InitCommandTests {
    /// A project directory with the multiboot test kernel at `relativePath`.
    static func project(kernelAt relativePath: String?) -> String {
        let dir = TemporaryDirectory.shared.make()
        if let relativePath {
            let path = dir + "/" + relativePath
            try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try! FileManager.default.copyItem(atPath: Repo.multibootKernel, toPath: path)
        }
        return dir
    }

    @Test func findsTheKernelAndWritesAStarterThatParses() throws {
        let dir = Self.project(kernelAt: "dist/hello.virtio")
        _ = FileManager.default.createFile(atPath: dir + "/dist/notes.txt", contents: Data("not a kernel".utf8))
        let result = sortie("init", directory: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("using the kernel dist/hello.virtio (multiboot (v1))"), "\(result.stderr)")
        #expect(result.stdout.contains("Wrote sortie.yml for hello"))
        let config = try DeployConfiguration.load(path: dir + "/sortie.yml", environment: [:])
        #expect(config.app == "hello" && config.build.kernel == "dist/hello.virtio")
        let entries = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(!entries.contains { $0.contains(".tmp-") }, "the temporary file is gone")
    }

    @Test func refusesToOverwriteWithoutForce() throws {
        let dir = Self.project(kernelAt: "k.virtio")
        _ = FileManager.default.createFile(atPath: dir + "/sortie.yml", contents: Data("app: mine\n".utf8))
        let refused = sortie("init", directory: dir)
        #expect(refused.status == 1)
        #expect(refused.stderr == "error: sortie.yml already exists\nhint: edit it, or run `sortie init --force` to replace it\n")
        #expect(try String(contentsOfFile: dir + "/sortie.yml", encoding: .utf8) == "app: mine\n")

        let forced = sortie("init", "--force", "--app", "web", "--kernel", "k.virtio", directory: dir)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try DeployConfiguration.load(path: dir + "/sortie.yml", environment: [:]).app == "web")
    }

    @Test func explainsAKernelItCannotUse() {
        let dir = Self.project(kernelAt: nil)
        _ = FileManager.default.createFile(atPath: dir + "/script.virtio", contents: Data("#!/bin/sh\necho hi\n".utf8))
        let result = sortie("init", directory: dir)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: script.virtio is a script, not a kernel\n"), "\(result.stderr)")
        #expect(!fileExists(dir + "/sortie.yml"))
    }

    @Test func namedKernelMustExist() {
        let dir = Self.project(kernelAt: nil)
        let result = sortie("init", "--kernel", "dist/none.virtio", directory: dir)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: kernel dist/none.virtio does not exist"), "\(result.stderr)")
    }

    @Test func withoutAnyKernelWritesAPlaceholder() throws {
        let dir = Self.project(kernelAt: nil)
        let result = sortie("init", "--app", "svc", directory: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("placeholder kernel dist/svc.virtio"))
        #expect(try DeployConfiguration.load(path: dir + "/sortie.yml", environment: [:]).build.kernel == "dist/svc.virtio")
    }

    @Test func badAppName() {
        let result = sortie("init", "--app", "Bad_Name", directory: Self.project(kernelAt: nil))
        #expect(result.status != 0)
        #expect(result.stderr.contains("--app: \"Bad_Name\" is not a name of lowercase letters, digits and dashes"), "\(result.stderr)")
    }

    @Test func helpHasAnExample() {
        let result = sortie("init", "--help")
        #expect(result.stdout.contains("sortie init --kernel dist/hello.virtio --app hello"))
    }
}
