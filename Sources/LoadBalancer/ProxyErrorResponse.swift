import NIOCore
import NIOHTTP1

/// Responses the proxy produces itself, each with a short plain-text body.
enum ProxyErrorResponse {
    case badGateway
    case serviceUnavailable
    case gatewayTimeout
    case payloadTooLarge

    var status: HTTPResponseStatus {
        switch self {
        case .badGateway: return .badGateway
        case .serviceUnavailable: return .serviceUnavailable
        case .gatewayTimeout: return .gatewayTimeout
        case .payloadTooLarge: return .payloadTooLarge
        }
    }

    var body: String {
        switch self {
        case .badGateway: return "502 Bad Gateway: no backend answered\n"
        case .serviceUnavailable: return "503 Service Unavailable: no healthy backends\n"
        case .gatewayTimeout: return "504 Gateway Timeout: the backend did not answer in time\n"
        case .payloadTooLarge: return "413 Content Too Large: request body over the proxy's limit\n"
        }
    }

    /// Counted in ``ProxyStats/failures``.
    var isProxyFailure: Bool { status.code >= 500 }

    /// The whole response as bytes, for a client speaking HTTP/1.`minorVersion`.
    func write(minorVersion: Int, keepAlive: Bool, into out: inout ByteBuffer) {
        out.writeStaticString(minorVersion == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        out.writeString("\(status.code) \(status.reasonPhrase)\r\n")
        out.writeStaticString("Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n")
        out.writeString("Content-Length: \(body.utf8.count)\r\n")
        ResponseHeadWriter.writeConnectionAndEnd(keepAlive: keepAlive, clientMinorVersion: minorVersion, into: &out)
        out.writeString(body)
    }
}
