import NIOCore

/// Writes the head a client receives for a backend's ``ResponseHead``: the backend's status line
/// with the client's HTTP version, its header lines minus hop-by-hop ones (RFC 9110 §7.6.1:
/// `Connection` and the headers it names, `Keep-Alive`, `Proxy-Connection`, `TE`, `Trailer`,
/// `Upgrade`, `Proxy-Authenticate`, `Proxy-Authorization`; `Transfer-Encoding` unless the chunk
/// framing is relayed as is), `Via` with the proxy's entry appended, and `Connection` when the
/// client's connection closes after this response (or, for an HTTP/1.0 client, stays open).
///
/// Header bytes are copied as read: the framer has already rejected CR, LF and NUL inside lines.
enum ResponseHeadWriter {
    static func write(
        _ head: ResponseHead,
        clientMinorVersion: Int,
        keepAlive: Bool,
        relaysChunkFraming: Bool,
        via: String,
        into out: inout ByteBuffer
    ) {
        let raw = head.raw
        let base = raw.readerIndex
        out.writeStaticString(clientMinorVersion == 0 ? "HTTP/1.0" : "HTTP/1.1")
        // The status line after its version ("HTTP/1.x" is 8 bytes).
        let statusLineEnd = head.lines.first?.start ?? raw.readableBytes - 2
        out.writeImmutableBuffer(raw.getSlice(at: base + 8, length: statusLineEnd - 8)!)
        var hasVia = false
        for line in head.lines {
            switch line.kind {
            case .other:
                out.writeImmutableBuffer(raw.getSlice(at: base + line.start, length: line.end - line.start)!)
            case .transferEncoding where relaysChunkFraming:
                out.writeImmutableBuffer(raw.getSlice(at: base + line.start, length: line.end - line.start)!)
            case .via:
                // Collected below, after the other lines, into one `Via`.
                hasVia = true
            case .hopByHop, .transferEncoding:
                break
            }
        }
        out.writeStaticString("Via: ")
        if hasVia {
            for line in head.lines where line.kind == .via {
                var valueStart = line.nameEnd + 1
                var valueEnd = line.end - 2
                while valueStart < valueEnd, raw.getInteger(at: base + valueStart, as: UInt8.self) == 0x20 { valueStart += 1 }
                while valueEnd > valueStart, raw.getInteger(at: base + valueEnd - 1, as: UInt8.self) == 0x20 { valueEnd -= 1 }
                out.writeImmutableBuffer(raw.getSlice(at: base + valueStart, length: valueEnd - valueStart)!)
                out.writeStaticString(", ")
            }
        }
        out.writeString(via)
        out.writeStaticString("\r\n")
        writeConnectionAndEnd(keepAlive: keepAlive, clientMinorVersion: clientMinorVersion, into: &out)
    }

    /// Ends a head for a client: `Connection: close` when its connection closes after this
    /// response, `Connection: keep-alive` when an HTTP/1.0 client's stays open, then the empty line.
    static func writeConnectionAndEnd(keepAlive: Bool, clientMinorVersion: Int, into out: inout ByteBuffer) {
        if !keepAlive {
            out.writeStaticString("Connection: close\r\n")
        } else if clientMinorVersion == 0 {
            out.writeStaticString("Connection: keep-alive\r\n")
        }
        out.writeStaticString("\r\n")
    }
}
