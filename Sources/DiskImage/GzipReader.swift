import CZlib
import SortieSupport

/// Decompresses a gzip stream (one or more members) from another source.
public final class GzipReader: ByteSource {
    private let input: ByteSource
    private var stream = z_stream()
    private var inputBuffer: [UInt8] = []
    private var inputOffset = 0
    private var ended = false
    private var initialised = false

    /// The stream is not valid gzip.
    public struct Corrupt: UserFacingError {
        public let message: String
        public var hint: String? { "the archive is damaged or not gzip; rebuild it" }
    }

    public init(_ input: ByteSource) throws {
        self.input = input
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Corrupt(message: "zlib could not start decompressing")
        }
        initialised = true
    }

    deinit { if initialised { inflateEnd(&stream) } }

    public func read(max: Int) throws -> [UInt8] {
        guard !ended, max > 0 else { return [] }
        var output = [UInt8](repeating: 0, count: max)
        var produced = 0
        while produced == 0 {
            if inputOffset == inputBuffer.count {
                inputBuffer = try input.read(max: 1 << 20)
                inputOffset = 0
                if inputBuffer.isEmpty {
                    throw Corrupt(message: "the gzip stream ends early (truncated archive)")
                }
            }
            let status: Int32 = inputBuffer.withUnsafeMutableBufferPointer { inBuf in
                output.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_in = inBuf.baseAddress! + inputOffset
                    stream.avail_in = uInt(inBuf.count - inputOffset)
                    stream.next_out = outBuf.baseAddress! + produced
                    stream.avail_out = uInt(outBuf.count - produced)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    inputOffset = inBuf.count - Int(stream.avail_in)
                    produced = outBuf.count - Int(stream.avail_out)
                    return status
                }
            }
            if status == Z_STREAM_END {
                // Another member may follow; trailing zeros or nothing end the stream.
                if inputOffset == inputBuffer.count {
                    inputBuffer = try input.read(max: 1 << 20)
                    inputOffset = 0
                }
                if inputBuffer.count - inputOffset >= 2, inputBuffer[inputOffset] == 0x1F, inputBuffer[inputOffset + 1] == 0x8B {
                    inflateReset(&stream)
                } else {
                    ended = true
                    break
                }
            } else if status != Z_OK && status != Z_BUF_ERROR {
                throw Corrupt(message: "the gzip data is corrupt (zlib status \(status))")
            }
        }
        output.removeSubrange(produced...)
        return output
    }
}
