import DiskImage
import Foundation

/// An image opened for reading: a raw disk file, or a GCE archive unpacked into memory extents.
public struct OpenedImage {
    public enum Container: String, Sendable, Codable {
        case raw
        case gceArchive = "tar.gz"
    }

    public var container: Container
    public var disk: DiskReader
    /// Size of the file on disk (compressed size for archives).
    public var fileBytes: UInt64
    /// Archive members as found, for the GCE rules (empty for raw files).
    public var members: [TarReader.Member]

    /// Opens `path`, telling raw disks and gzip archives apart by their first bytes.
    public static func open(_ path: String) throws -> OpenedImage {
        let head = try peek(path, count: 2)
        var st = stat()
        stat(path, &st)
        if head == [0x1F, 0x8B] {
            let (disk, members) = try unpackArchive(path)
            return OpenedImage(container: .gceArchive, disk: disk, fileBytes: UInt64(st.st_size), members: members)
        }
        return OpenedImage(container: .raw, disk: try FileDisk(path: path), fileBytes: UInt64(st.st_size), members: [])
    }

    /// Writes the disk as a sparse raw file at `path` (atomically).
    public func writeRaw(to path: String) throws {
        let output = try AtomicOutput(path: path)
        guard ftruncate(output.fd, off_t(disk.size)) == 0 else {
            throw FileError("cannot create \(path): \(FileIO.errnoText())", hint: "check free space")
        }
        if let extentDisk = disk as? ExtentDisk {
            for extent in extentDisk.extents {
                let n = extent.data.withUnsafeBytes { pwrite(output.fd, $0.baseAddress!, $0.count, off_t(extent.offset)) }
                guard n == extent.data.count else { throw FileError("cannot write \(path): \(FileIO.errnoText())", hint: "check free space") }
            }
        } else {
            var offset: UInt64 = 0
            while offset < disk.size {
                let block = try disk.read(offset: offset, count: Int(min(1 << 20, disk.size - offset)))
                if block.contains(where: { $0 != 0 }) {
                    _ = block.withUnsafeBytes { pwrite(output.fd, $0.baseAddress!, $0.count, off_t(offset)) }
                }
                offset += UInt64(block.count)
            }
        }
        try output.commit()
    }

    static func peek(_ path: String, count: Int) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileError("image \(path) does not exist", hint: "build one with `sortie image build KERNEL -o \(path)`")
        }
        guard !isDirectory.boolValue else { throw FileError("image \(path) is a directory, not a file") }
        let source = try FileSource(path: path)
        return try source.read(exactly: count) ?? []
    }

    /// Reads every member; `disk.raw` (or the first member) becomes the disk, keeping only
    /// non-zero 512-byte blocks so that even a non-sparse 1 GiB member costs little memory.
    static func unpackArchive(_ path: String) throws -> (DiskReader, [TarReader.Member]) {
        let tar = TarReader(try GzipReader(FileSource(path: path)))
        var members: [TarReader.Member] = []
        var disk: ExtentDisk?
        while let member = try tar.next() {
            members.append(member)
            guard disk == nil, member.typeflag == "0" || member.typeflag == "S",
                  member.name == "disk.raw" || members.filter({ !$0.isPAXHeader }).count == 1 else { continue }
            let map = member.sparseMap ?? [OldGNUTar.SparseEntry(offset: 0, length: member.storedSize)]
            var collector = BlockCollector(map: map)
            try tar.streamData { collector.add($0) }
            disk = ExtentDisk(size: member.realSize, extents: collector.extents)
        }
        guard let disk else {
            throw FileError("\(path) holds no disk.raw", hint: "a GCE image archive holds exactly one member named disk.raw")
        }
        return (disk, members)
    }
}

/// Turns a member's stored bytes, placed by its sparse map, into extents of non-zero blocks.
struct BlockCollector {
    private let map: [OldGNUTar.SparseEntry]
    private var entry = 0
    private var withinEntry: UInt64 = 0
    private var finished: [(offset: UInt64, data: [UInt8])] = []
    /// The run of non-zero blocks being collected, kept apart so appending never copies it.
    private var runOffset: UInt64 = 0
    private var run: [UInt8] = []

    init(map: [OldGNUTar.SparseEntry]) { self.map = map.filter { $0.length > 0 } }

    /// The collected extents, sorted by offset.
    var extents: [(offset: UInt64, data: [UInt8])] {
        run.isEmpty ? finished : finished + [(runOffset, run)]
    }

    mutating func add(_ bytes: [UInt8]) {
        var i = 0
        while i < bytes.count, entry < map.count {
            let room = Int(min(UInt64(bytes.count - i), map[entry].length - withinEntry))
            let offset = map[entry].offset + withinEntry
            var j = 0
            while j < room {
                let n = min(512, room - j)
                let block = bytes[(i + j)..<(i + j + n)]
                let at = offset + UInt64(j)
                if block.contains(where: { $0 != 0 }) {
                    if run.isEmpty || runOffset + UInt64(run.count) != at {
                        if !run.isEmpty { finished.append((runOffset, run)) }
                        runOffset = at
                        run = []
                    }
                    run.append(contentsOf: block)
                }
                j += n
            }
            i += room
            withinEntry += UInt64(room)
            if withinEntry == map[entry].length { entry += 1; withinEntry = 0 }
        }
    }
}
