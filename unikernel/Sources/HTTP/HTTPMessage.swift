/// An HTTP/1.1 request as the server parsed it.
public struct HTTPRequest {
    public var method: String
    /// The request target as sent (`/path?query`).
    public var target: String
    /// The target up to `?`.
    public var path: String
    /// The target after `?` (empty if none).
    public var query: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// The value of the first header called `name` (ASCII case-insensitive).
    public func header(_ name: StaticString) -> String? {
        for h in headers where asciiEqualsIgnoringCase(h.name, name) { return h.value }
        return nil
    }

    /// Whether the method is `m` (exactly).
    public func methodIs(_ m: StaticString) -> Bool { bytesEqual(method, m) }

    /// Whether the path is `p` (exactly).
    public func pathIs(_ p: StaticString) -> Bool { bytesEqual(path, p) }

    /// The value of `name=value` in the query string, if present (not percent-decoded).
    public func queryItem(_ name: StaticString) -> String? {
        var result: String? = nil
        for item in query.utf8.split(separator: UInt8(ascii: "&")) {
            let parts = item.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            if let key = parts.first, name.withUTF8Buffer({ key.elementsEqual($0) }) {
                result = parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : ""
            }
        }
        return result
    }
}

/// An HTTP response. The server adds `Content-Length` and `Connection`.
public struct HTTPResponse {
    public var status: Int
    public var contentType: String
    public var headers: [(name: String, value: String)] = []
    public var body: [UInt8]

    public init(status: Int = 200, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    public init(status: Int = 200, contentType: String = "text/plain; charset=utf-8", body: String) {
        self.init(status: status, contentType: contentType, body: Array(body.utf8))
    }

    /// A plain-text response.
    public static func text(_ body: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, body: body)
    }

    /// An HTML response.
    public static func html(_ body: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/html; charset=utf-8", body: body)
    }

    /// The standard reason phrase for `status`.
    public static func reason(_ status: Int) -> StaticString {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Unknown"
        }
    }
}

func bytesEqual(_ s: String, _ t: StaticString) -> Bool {
    t.withUTF8Buffer { s.utf8.elementsEqual($0) }
}

func asciiEqualsIgnoringCase(_ s: String, _ t: StaticString) -> Bool {
    t.withUTF8Buffer { tb in
        guard s.utf8.count == tb.count else { return false }
        for (a, b) in zip(s.utf8, tb) where asciiLower(a) != asciiLower(b) { return false }
        return true
    }
}

@inline(__always) func asciiLower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c | 0x20 : c }
