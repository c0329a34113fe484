import NIOCore

/// Frames one backend HTTP/1.x response from the raw bytes of its connection, without decoding
/// it: the status line and headers are parsed once (status, framing, keep-alive, and which header
/// lines a proxy must drop), then the body is handed on as slices of the bytes read, delimited by
/// `Content-Length`, by chunked encoding (whose chunk framing is followed byte by byte and passed
/// through as is, or removed for a client that cannot take it), or by the connection's close.
///
/// Pure: no I/O. Feed each read with ``next(_:)`` until it returns nil; at the backend's close call
/// ``finishAtClose()``. Follows RFC 9112 §6 (message body length) and §7.1 (chunked coding):
/// no body after HEAD, 1xx, 204 and 304; `Transfer-Encoding` wins over `Content-Length` (and the
/// connection is then not reused); a transfer coding other than a final `chunked` runs until close.
struct ResponseFramer {
    enum Event: Equatable {
        /// A response head. An interim (1xx) one is followed by another head.
        case head(ResponseHead)
        /// Body bytes for the client: raw (chunk framing included) unless de-chunking.
        case body(ByteBuffer)
        /// The response is complete.
        case end
    }

    enum Failure: Error, Equatable {
        case malformedHead(String)
        case headTooLarge
        case invalidChunk
        case upgradeNotSupported
    }

    /// The longest head accepted (status line and headers), like common proxies' default buffers.
    static let maxHeadSize = 64 * 1024

    private enum Phase {
        case head
        case body(ResponseHead.Framing)
        /// The body's last bytes went out; `.end` is next.
        case ending
        case complete
    }

    private enum ChunkState: Equatable {
        case size(digits: Int), sizeTail, sizeLF
        case data(remaining: Int), dataCR, dataLF
        case trailerLineStart, trailerLine, finalLF
    }

    private let isHeadRequest: Bool
    private let dechunk: Bool
    private var phase = Phase.head
    private var pending: ByteBuffer?
    private var remaining = 0
    private var chunk = ChunkState.size(digits: 0)
    private var chunkSize = 0

    /// - Parameters:
    ///   - isHeadRequest: the request was HEAD (its response has no body whatever it says).
    ///   - dechunk: remove chunked framing (for an HTTP/1.0 client, whose response then ends with
    ///     the connection).
    init(isHeadRequest: Bool, dechunk: Bool) {
        self.isHeadRequest = isHeadRequest
        self.dechunk = dechunk
    }

    /// True once the final response has been framed to its end.
    var isComplete: Bool {
        if case .complete = phase { return true }
        return false
    }

    /// True while no byte of the response has been seen.
    var hasStarted: Bool {
        if case .head = phase { return pending != nil }
        return true
    }

    /// The next event from `buffer` (which it consumes, and may replace with bytes carried over
    /// from earlier reads), or nil when more bytes are needed. Bytes left in `buffer` after
    /// ``isComplete`` do not belong to this response.
    mutating func next(_ buffer: inout ByteBuffer) throws -> Event? {
        switch phase {
        case .head:
            return try nextHead(&buffer)
        case .body(let framing):
            return try nextBody(&buffer, framing: framing)
        case .ending:
            phase = .complete
            return .end
        case .complete:
            return nil
        }
    }

    /// The backend closed its connection: `.end` when that is how this body ends, else nil (the
    /// response is incomplete).
    mutating func finishAtClose() -> Event? {
        switch phase {
        case .body(.untilClose):
            phase = .complete
            return .end
        case .ending:
            phase = .complete
            return .end
        default:
            return nil
        }
    }

    // MARK: Head

    private mutating func nextHead(_ buffer: inout ByteBuffer) throws -> Event? {
        if var carried = pending {
            carried.writeBuffer(&buffer)
            buffer = carried
            pending = nil
        }
        guard buffer.readableBytes > 0 else { return nil }
        guard let length = Self.headLength(buffer) else {
            if buffer.readableBytes > Self.maxHeadSize { throw Failure.headTooLarge }
            pending = buffer
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            return nil
        }
        guard length <= Self.maxHeadSize else { throw Failure.headTooLarge }
        let raw = buffer.readSlice(length: length)!
        let head = try ResponseHead(parsing: raw, isHeadRequest: isHeadRequest)
        if head.isInterim { return .head(head) }
        if head.status == 101 { throw Failure.upgradeNotSupported }
        switch head.framing {
        case .none, .length(0):
            phase = .ending
        case .length(let n):
            remaining = n
            phase = .body(.length(n))
        case .chunked:
            chunk = .size(digits: 0)
            chunkSize = 0
            phase = .body(.chunked)
        case .untilClose:
            phase = .body(.untilClose)
        }
        return .head(head)
    }

    /// The length of the head at the start of `buffer` (through its empty line), if complete.
    private static func headLength(_ buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            let count = bytes.count
            guard count >= 4 else { return nil }
            var i = 3
            while i < count {
                let byte = bytes[i]
                if byte == 0x0A {
                    if bytes[i - 1] == 0x0D && bytes[i - 2] == 0x0A && bytes[i - 3] == 0x0D { return i + 1 }
                    i += 1
                } else if byte == 0x0D {
                    i += 1
                } else {
                    // Neither CR nor LF: the terminator cannot end before i + 4.
                    i += 4
                }
            }
            return nil
        }
    }

    // MARK: Body

    private mutating func nextBody(_ buffer: inout ByteBuffer, framing: ResponseHead.Framing) throws -> Event? {
        guard buffer.readableBytes > 0 else { return nil }
        switch framing {
        case .length:
            let n = min(remaining, buffer.readableBytes)
            remaining -= n
            if remaining == 0 { phase = .ending }
            return .body(buffer.readSlice(length: n)!)
        case .untilClose, .none:
            return .body(buffer.readSlice(length: buffer.readableBytes)!)
        case .chunked:
            return dechunk ? try nextDechunked(&buffer) : try nextChunkedRaw(&buffer)
        }
    }

    /// Follows the chunk framing over as many bytes as belong to the body and returns them as is.
    private mutating func nextChunkedRaw(_ buffer: inout ByteBuffer) throws -> Event? {
        let consumed = try buffer.withUnsafeReadableBytes { bytes -> Int in
            var i = 0
            while i < bytes.count {
                if case .data(let left) = chunk {
                    let n = min(left, bytes.count - i)
                    i += n
                    chunk = left == n ? .dataCR : .data(remaining: left - n)
                    continue
                }
                try step(bytes[i])
                i += 1
                if isAtEnd { break }
            }
            return i
        }
        if isAtEnd { phase = .ending }
        return .body(buffer.readSlice(length: consumed)!)
    }

    /// Returns the next run of chunk data, consuming chunk framing on the way.
    private mutating func nextDechunked(_ buffer: inout ByteBuffer) throws -> Event? {
        while buffer.readableBytes > 0 {
            if case .data(let left) = chunk {
                let n = min(left, buffer.readableBytes)
                chunk = left == n ? .dataCR : .data(remaining: left - n)
                return .body(buffer.readSlice(length: n)!)
            }
            try step(buffer.readInteger(as: UInt8.self)!)
            if isAtEnd {
                phase = .complete
                return .end
            }
        }
        return nil
    }

    private var isAtEnd: Bool { chunk == .finalLF && chunkSize == -1 }

    /// One byte of chunk framing (anything but chunk data).
    private mutating func step(_ byte: UInt8) throws {
        switch chunk {
        case .size(let digits):
            if let value = Self.hexValue(byte) {
                guard digits < 15 else { throw Failure.invalidChunk }
                chunkSize = chunkSize &* 16 &+ value
                chunk = .size(digits: digits + 1)
            } else if digits > 0 && (byte == 0x3B || byte == 0x20 || byte == 0x09) {
                chunk = .sizeTail  // chunk extensions (or spaces before them) are ignored
            } else if digits > 0 && byte == 0x0D {
                chunk = .sizeLF
            } else {
                throw Failure.invalidChunk
            }
        case .sizeTail:
            if byte == 0x0D { chunk = .sizeLF } else if byte == 0x0A { throw Failure.invalidChunk }
        case .sizeLF:
            guard byte == 0x0A else { throw Failure.invalidChunk }
            if chunkSize == 0 {
                chunk = .trailerLineStart
            } else {
                chunk = .data(remaining: chunkSize)
                chunkSize = 0
            }
        case .dataCR:
            guard byte == 0x0D else { throw Failure.invalidChunk }
            chunk = .dataLF
        case .dataLF:
            guard byte == 0x0A else { throw Failure.invalidChunk }
            chunk = .size(digits: 0)
        case .trailerLineStart:
            chunk = byte == 0x0D ? .finalLF : .trailerLine
            if byte == 0x0A { throw Failure.invalidChunk }
        case .trailerLine:
            if byte == 0x0A { chunk = .trailerLineStart }
        case .finalLF:
            guard byte == 0x0A, chunkSize == 0 else { throw Failure.invalidChunk }
            chunkSize = -1  // marks the end (see isAtEnd)
        case .data:
            preconditionFailure("chunk data is consumed in runs, not bytes")
        }
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: return Int(byte - 0x30)
        case 0x41...0x46: return Int(byte - 0x41 + 10)
        case 0x61...0x66: return Int(byte - 0x61 + 10)
        default: return nil
        }
    }
}
