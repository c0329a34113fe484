import DiskImage
import Foundation

/// Writes a `DiskLayout` as a sparse raw file: the data extents with pwrite, holes everywhere else.
public enum RawDiskWriter {
    public static func write(_ layout: DiskLayout, fd: Int32, path: String) throws {
        guard ftruncate(fd, off_t(layout.size)) == 0 else {
            throw FileError("cannot size \(path) to \(layout.size) bytes: \(FileIO.errnoText())", hint: "check free space and the file system's maximum file size")
        }
        for extent in layout.extents {
            var position = off_t(extent.offset)
            for piece in extent.pieces {
                guard let slice = piece.storedBytes else {
                    position += off_t(piece.count) // zeros: the file was truncated to size, so already zero
                    continue
                }
                try slice.withUnsafeBytes { buffer in
                    var done = 0
                    while done < buffer.count {
                        let n = pwrite(fd, buffer.baseAddress! + done, buffer.count - done, position + off_t(done))
                        if n < 0 {
                            if errno == EINTR { continue }
                            throw FileError("cannot write \(path): \(FileIO.errnoText())", hint: "check free space (df -h)")
                        }
                        done += n
                    }
                }
                position += off_t(slice.count)
            }
        }
    }
}
