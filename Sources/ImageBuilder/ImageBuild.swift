import DiskImage
import Foundation

/// The two output forms of `sortie image build`.
public enum ImageOutputFormat: String, Sendable {
    /// GCE's import archive: `disk.raw` in oldgnu sparse tar, gzip.
    case gceArchive = "tar.gz"
    /// The sparse raw disk.
    case raw

    /// Picks the format from the output file name, or explains which names are understood.
    public init(path: String) throws {
        if path.hasSuffix(".tar.gz") || path.hasSuffix(".tgz") { self = .gceArchive; return }
        if path.hasSuffix(".raw") || path.hasSuffix(".img") { self = .raw; return }
        throw FileError("cannot tell the output format from the name \(path)",
                        hint: "end the name in .tar.gz for a GCE image archive or .raw for a raw disk")
    }
}

/// What to build.
public struct ImageBuildRequest: Sendable {
    public var kernelPath: String
    public var initrdPath: String?
    public var commandLine: String
    public var sizeGiB: Int
    public var outputPath: String
    public var grub: GrubFiles.Location
    /// File timestamps inside the image (`SOURCE_DATE_EPOCH`), seconds since 1970.
    public var timestamp: Int64

    public init(kernelPath: String, initrdPath: String? = nil, commandLine: String = "", sizeGiB: Int = 1,
                outputPath: String, grub: GrubFiles.Location, timestamp: Int64 = ImageBuildRequest.defaultTimestamp) {
        self.kernelPath = kernelPath
        self.initrdPath = initrdPath
        self.commandLine = commandLine
        self.sizeGiB = sizeGiB
        self.outputPath = outputPath
        self.grub = grub
        self.timestamp = timestamp
    }

    /// 1980-01-01 00:00:00 UTC, the first moment FAT can represent.
    public static let defaultTimestamp: Int64 = 315_532_800
}

/// What was built, for the summary and `--json`.
public struct ImageBuildResult: Sendable, Codable {
    public var output: String
    public var format: String
    public var kernelKind: String
    public var commandLine: String
    public var diskBytes: UInt64
    public var dataBytes: UInt64
    public var outputBytes: UInt64
    public var coreImageCached: Bool
    public var seconds: Double
}

/// Builds an image from files: the I/O around `ImageComposer`.
public enum ImageBuild {
    public static func run(_ request: ImageBuildRequest) throws -> ImageBuildResult {
        let started = Date()
        let kernelName = request.kernelPath
        let kernel = try FileIO.readAll(request.kernelPath, role: "kernel")
        let kind = try KernelDetector.detect(kernel, name: kernelName)
        let initrd = try request.initrdPath.map { try FileIO.readAll($0, role: "initrd") }
        let format = try ImageOutputFormat(path: request.outputPath)
        let grub = try GrubFiles.load(request.grub)
        let spec = ImageSpec(kernel: kernel, kernelKind: kind, initrd: initrd, commandLine: request.commandLine,
                             sizeGiB: request.sizeGiB, grubBootImage: grub.bootImage, grubCoreImage: grub.coreImage,
                             grubCoreDeflated: grub.coreDeflated, grubModules: try grub.modules(for: kind), timestamp: request.timestamp)
        let layout = try ImageComposer.compose(spec)
        let output = try AtomicOutput(path: request.outputPath)
        let written: UInt64
        switch format {
        case .gceArchive:
            let file = FileSink(fd: output.fd, path: request.outputPath)
            let gzip = ParallelGzipWriter(sink: file)
            try OldGNUTar.write(layout: layout, name: "disk.raw", mtime: request.timestamp, to: gzip)
            try gzip.finish()
            try file.flush()
            written = file.written
        case .raw:
            try RawDiskWriter.write(layout, fd: output.fd, path: request.outputPath)
            written = layout.size
        }
        try output.commit()
        return ImageBuildResult(output: request.outputPath, format: format.rawValue, kernelKind: kind.displayName,
                                commandLine: ImageComposer.effectiveCommandLine(spec),
                                diskBytes: layout.size, dataBytes: layout.dataSize, outputBytes: written,
                                coreImageCached: grub.fromCache, seconds: Date().timeIntervalSince(started))
    }
}
