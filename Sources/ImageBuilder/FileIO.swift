import DiskImage
import Foundation
import SortieSupport

/// A file that could not be read or written, named with the cause.
public typealias FileError = UserError

/// Reading and writing files with messages that name the file and the cause.
public enum FileIO {
    /// The whole file at `path`, with a clear error for the usual mistakes.
    public static func readAll(_ path: String, role: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileError("\(role) \(path) does not exist", hint: "check the path (relative paths start from \(FileManager.default.currentDirectoryPath))")
        }
        if isDirectory.boolValue {
            throw FileError("\(role) \(path) is a directory, not a file", hint: "give the path of the file inside it")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError("cannot open \(role) \(path): \(errnoText())") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileError("cannot read \(role) \(path): \(errnoText())") }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 { throw FileError("cannot read \(role) \(path): \(errnoText())") }
            if n == 0 { bytes.removeSubrange(done...); break }
            done += n
        }
        return bytes
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// An output file that appears only when complete: written to a temporary file beside it,
/// then renamed over the destination. If anything fails, the temporary file is removed and
/// the destination is untouched.
public final class AtomicOutput {
    public let path: String
    public let temporaryPath: String
    public let fd: Int32
    private var committed = false

    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw FileError("the output \(path) is a directory", hint: "give a file name ending in .tar.gz or .raw")
        }
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FileError("cannot write \(path): the directory \(directory) does not exist", hint: "create it first (mkdir -p \(directory))")
        }
        temporaryPath = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let cause = FileIO.errnoText()
            throw FileError("cannot write \(path): \(cause)", hint: "choose a directory you can write to")
        }
    }

    /// Makes the file visible at `path`. (No fsync: like tar and cp, a build output need not
    /// survive a power cut; rename alone guarantees readers never see a partial file.)
    public func commit() throws {
        guard rename(temporaryPath, path) == 0 else {
            throw FileError("cannot write \(path): \(FileIO.errnoText())")
        }
        committed = true
    }

    deinit {
        close(fd)
        if !committed { unlink(temporaryPath) }
    }
}

/// A buffered sink onto a file descriptor.
public final class FileSink: ByteSink {
    private let fd: Int32
    private let path: String
    private var buffer: [UInt8] = []
    private let capacity = 1 << 20
    public private(set) var written: UInt64 = 0

    public init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        buffer.reserveCapacity(capacity)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity { try writeFully(bytes) } else { buffer.append(contentsOf: bytes) }
    }

    public func flush() throws {
        try buffer.withUnsafeBytes { try writeFully($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError("cannot write \(path): \(FileIO.errnoText())", hint: "check free space (df -h)")
            }
            done += n
        }
        written += UInt64(bytes.count)
    }
}

/// A disk in a (sparse) raw file, read with pread.
public final class FileDisk: DiskReader {
    public let size: UInt64
    private let fd: Int32
    private let path: String

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError("cannot open \(path): \(FileIO.errnoText())") }
        var st = stat()
        fstat(fd, &st)
        size = UInt64(st.st_size)
    }

    deinit { close(fd) }

    public func read(offset: UInt64, count: Int) throws -> [UInt8] {
        guard offset + UInt64(count) <= size else {
            throw FileError("\(path) is too short: it ends before byte \(offset + UInt64(count))")
        }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            guard n > 0 else { throw FileError("cannot read \(path): \(FileIO.errnoText())") }
            done += n
        }
        return out
    }
}

/// A sequential source over a file descriptor.
public final class FileSource: ByteSource {
    private let fd: Int32
    private let path: String

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError("cannot open \(path): \(FileIO.errnoText())") }
    }

    deinit { close(fd) }

    public func read(max: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max)
        let n = out.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress!, max) }
        guard n >= 0 else { throw FileError("cannot read \(path): \(FileIO.errnoText())") }
        out.removeSubrange(n...)
        return out
    }
}
