import DiskImage
import Foundation
import ImageBuilder

/// Turns what the user gave `sortie boot` (a raw disk, a GCE archive, or a kernel) into a raw
/// disk file QEMU can boot, in a private temporary directory removed by `cleanUp()`.
public final class BootableDisk {
    public let path: String
    /// What the input was, for messages.
    public let description: String
    private let directory: String

    public init(input: String, commandLine: String?, initrd: String?, grub: GrubFiles.Location) throws {
        directory = NSTemporaryDirectory() + "sortie-boot-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do {
            let head = try Self.head(of: input)
            if head.starts(with: [0x1F, 0x8B]) {
                guard commandLine == nil, initrd == nil else { throw Self.optionsForKernelOnly }
                path = directory + "/disk.raw"
                let image = try OpenedImage.open(input)
                try image.writeRaw(to: path)
                description = "GCE image archive"
            } else if Self.isDisk(head) {
                guard commandLine == nil, initrd == nil else { throw Self.optionsForKernelOnly }
                path = input
                description = "raw disk"
            } else {
                path = directory + "/disk.raw"
                let request = ImageBuildRequest(kernelPath: input, initrdPath: initrd, commandLine: commandLine ?? "",
                                                outputPath: path, grub: grub)
                let result = try ImageBuild.run(request)
                description = "\(result.kernelKind) kernel, in a fresh GRUB disk"
            }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    static let optionsForKernelOnly = MachineError("--cmdline and --initrd apply when booting a kernel, not an image",
                                                   hint: "rebuild the image with `sortie image build --cmdline ...`")

    public func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }

    static func head(of path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileError("\(path) does not exist", hint: "give an image (.raw or .tar.gz) or a kernel")
        }
        guard !isDirectory.boolValue else { throw FileError("\(path) is a directory, not an image or a kernel") }
        return try FileSource(path: path).read(exactly: 1024) ?? FileIO.readAll(path, role: "input")
    }

    /// An MBR boot signature, and not a Linux bzImage (which has one too).
    static func isDisk(_ head: [UInt8]) -> Bool {
        guard head.count >= 512, head[510] == 0x55, head[511] == 0xAA else { return false }
        let isBzImage = head.count >= 0x206 && Array(head[0x202..<0x206]) == Array("HdrS".utf8)
        return !isBzImage
    }
}
