import NIOCore

/// A backend response's status line and headers as read (``raw``), with what the proxy needs to
/// know of them, found in one pass: status, version, body framing, whether the backend keeps the
/// connection open, and which header lines must not be relayed (see ``ResponseHeadWriter``).
struct ResponseHead: Equatable {
    enum Framing: Equatable {
        /// No body (HEAD, 1xx, 204, 304).
        case none
        case length(Int)
        case chunked
        /// Ends when the backend closes the connection.
        case untilClose
    }

    /// One header line of ``raw``: offsets from its start, the name's end, and its kind.
    struct Line: Equatable {
        var start: Int
        /// Just after the line's CRLF.
        var end: Int
        var nameEnd: Int
        var kind: Kind
    }

    enum Kind: Equatable {
        /// Relayed as is.
        case other
        /// Never relayed (RFC 9110 §7.6.1), nor any header `Connection` names.
        case hopByHop
        /// `Transfer-Encoding`: relayed only while the body is relayed with its chunk framing.
        case transferEncoding
        /// `Via`: merged into the proxy's own entry.
        case via
    }

    /// Status line and headers, through the empty line.
    var raw: ByteBuffer
    var status: Int
    var minorVersion: Int
    var framing: Framing
    /// Whether the backend keeps the connection open after this response.
    var keepAlive: Bool
    var lines: [Line]

    /// A 1xx response other than 101: another head follows.
    var isInterim: Bool { status >= 100 && status < 200 && status != 101 }

    init(parsing raw: ByteBuffer, isHeadRequest: Bool) throws {
        self.raw = raw
        var status = 0, minor = 0
        var lines: [Line] = []
        var contentLength: Int?
        var transferEncoding: [UInt8]?
        var connectionClose = false, connectionKeepAlive = false
        var nominated: [String] = []
        try raw.withUnsafeReadableBytes { bytes in
            let count = bytes.count
            // "HTTP/1.x SSS reason\r\n"
            guard count >= 14, bytes[0] == 0x48, bytes[1] == 0x54, bytes[2] == 0x54, bytes[3] == 0x50,
                bytes[4] == 0x2F, bytes[5] == 0x31, bytes[6] == 0x2E, bytes[7] == 0x30 || bytes[7] == 0x31,
                bytes[8] == 0x20
            else { throw ResponseFramer.Failure.malformedHead("status line") }
            minor = Int(bytes[7] - 0x30)
            for i in 9..<12 {
                guard bytes[i] >= 0x30 && bytes[i] <= 0x39 else { throw ResponseFramer.Failure.malformedHead("status code") }
                status = status * 10 + Int(bytes[i] - 0x30)
            }
            guard bytes[12] == 0x20 || bytes[12] == 0x0D, status >= 100 else {
                throw ResponseFramer.Failure.malformedHead("status code")
            }
            var i = 12
            func lineEnd(from start: Int) throws -> Int {
                var j = start
                while j < count {
                    if bytes[j] == 0x0D {
                        guard j + 1 < count, bytes[j + 1] == 0x0A else { throw ResponseFramer.Failure.malformedHead("bare CR") }
                        return j + 2
                    }
                    if bytes[j] == 0x0A || bytes[j] == 0 { throw ResponseFramer.Failure.malformedHead("bare LF or NUL") }
                    j += 1
                }
                throw ResponseFramer.Failure.malformedHead("unterminated line")
            }
            i = try lineEnd(from: i)
            while i < count - 2 {
                let start = i
                let end = try lineEnd(from: start)
                guard bytes[start] != 0x20 && bytes[start] != 0x09 else {
                    throw ResponseFramer.Failure.malformedHead("obsolete line folding")
                }
                var colon = start
                while colon < end - 2 && bytes[colon] != 0x3A {
                    guard Self.isTokenByte(bytes[colon]) else { throw ResponseFramer.Failure.malformedHead("header name") }
                    colon += 1
                }
                guard colon > start, colon < end - 2 else { throw ResponseFramer.Failure.malformedHead("header line") }
                var valueStart = colon + 1, valueEnd = end - 2
                while valueStart < valueEnd && (bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09) { valueStart += 1 }
                while valueEnd > valueStart && (bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09) { valueEnd -= 1 }
                let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])
                let kind: Kind
                switch Self.name(UnsafeRawBufferPointer(rebasing: bytes[start..<colon])) {
                case .contentLength:
                    kind = .other
                    guard let n = Self.decimal(value), contentLength == nil || contentLength == n else {
                        throw ResponseFramer.Failure.malformedHead("Content-Length")
                    }
                    contentLength = n
                case .transferEncoding:
                    kind = .transferEncoding
                    transferEncoding = (transferEncoding.map { $0 + [0x2C] } ?? []) + Array(value)
                case .connection:
                    kind = .hopByHop
                    for token in value.split(separator: 0x2C) {
                        let name = String(decoding: token, as: UTF8.self)[...].trimmingASCIISpaces().lowercased()
                        if name == "close" {
                            connectionClose = true
                        } else if name == "keep-alive" {
                            connectionKeepAlive = true
                        } else if !name.isEmpty {
                            nominated.append(name)
                        }
                    }
                case .hopByHop:
                    kind = .hopByHop
                case .via:
                    kind = .via
                case .other:
                    kind = .other
                }
                lines.append(Line(start: start, end: end, nameEnd: colon, kind: kind))
                i = end
            }
            guard i == count - 2 else { throw ResponseFramer.Failure.malformedHead("head end") }
        }
        self.status = status
        self.minorVersion = minor
        if !nominated.isEmpty {
            for index in lines.indices where lines[index].kind == .other {
                let name = raw.getString(at: raw.readerIndex + lines[index].start, length: lines[index].nameEnd - lines[index].start)!
                if nominated.contains(name.lowercased()) { lines[index].kind = .hopByHop }
            }
        }
        self.lines = lines
        var keepAlive = minor == 1 ? !connectionClose : connectionKeepAlive && !connectionClose
        if isHeadRequest || (status >= 100 && status < 200) || status == 204 || status == 304 {
            framing = .none
        } else if let coding = transferEncoding {
            // RFC 9112 §6.3: chunked must be the final coding, else the body runs until close;
            // with Content-Length as well, the connection must not be reused.
            if Self.endsWithChunked(coding) { framing = .chunked } else { framing = .untilClose }
            if contentLength != nil || framing == .untilClose { keepAlive = false }
        } else if let contentLength {
            framing = .length(contentLength)
        } else {
            framing = .untilClose
            keepAlive = false
        }
        self.keepAlive = keepAlive
    }

    private enum Name { case contentLength, transferEncoding, connection, hopByHop, via, other }

    private static func name(_ bytes: UnsafeRawBufferPointer) -> Name {
        func equals(_ lowercase: StaticString) -> Bool {
            guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
            let other = lowercase.utf8Start
            for i in 0..<bytes.count {
                let x = bytes[i]
                let y = other[i]
                if x != y && !(x >= 0x41 && x <= 0x5A && x &+ 0x20 == y) { return false }
            }
            return true
        }
        switch bytes.count {
        case 2: return equals("te") ? .hopByHop : .other
        case 3: return equals("via") ? .via : .other
        case 7: return equals("trailer") || equals("upgrade") ? .hopByHop : .other
        case 10:
            if equals("connection") { return .connection }
            return equals("keep-alive") ? .hopByHop : .other
        case 14: return equals("content-length") ? .contentLength : .other
        case 16: return equals("proxy-connection") ? .hopByHop : .other
        case 17: return equals("transfer-encoding") ? .transferEncoding : .other
        case 18: return equals("proxy-authenticate") ? .hopByHop : .other
        case 19: return equals("proxy-authorization") ? .hopByHop : .other
        default: return .other
        }
    }

    /// RFC 9110 §5.6.2 token characters.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default: return false
        }
    }

    private static func decimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var n = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            n = n * 10 + Int(byte - 0x30)
        }
        return n
    }

    private static func endsWithChunked(_ coding: [UInt8]) -> Bool {
        let last = coding.split(separator: 0x2C).last.map { String(decoding: $0, as: UTF8.self)[...].trimmingASCIISpaces() }
        return last?.lowercased() == "chunked"
    }
}
