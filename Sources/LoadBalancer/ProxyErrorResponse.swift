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

    func head(version: HTTPVersion, keepAlive: Bool) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "Cache-Control", value: "no-store")
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if version.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        return HTTPResponseHead(version: version, status: status, headers: headers)
    }
}
