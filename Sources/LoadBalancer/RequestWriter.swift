import NIOCore
import NIOHTTP1

/// Serialises a request for a backend as HTTP/1.1 bytes: request line, headers (already
/// rewritten by ``HeaderRewriter``, values from NIO's parser, which rejects CR and LF), and the
/// buffered body, so that the whole request goes out in one write.
enum RequestWriter {
    static func write(_ head: HTTPRequestHead, extraHost: String?, body: ByteBuffer?, into out: inout ByteBuffer) {
        out.writeString(head.method.rawValue)
        out.writeStaticString(" ")
        out.writeString(head.uri)
        out.writeStaticString(" HTTP/1.1\r\n")
        for (name, value) in head.headers {
            out.writeString(name)
            out.writeStaticString(": ")
            out.writeString(value)
            out.writeStaticString("\r\n")
        }
        if let extraHost {
            out.writeStaticString("Host: ")
            out.writeString(extraHost)
            out.writeStaticString("\r\n")
        }
        out.writeStaticString("\r\n")
        if var body, body.readableBytes > 0 { out.writeBuffer(&body) }
    }
}
