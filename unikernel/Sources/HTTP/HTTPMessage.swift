/// An HTTP/1.1 request as the server parsed it. Header fields stay as bytes until asked for.
public struct HTTPRequest {
    /// The method (`GET`, `HEAD`, `POST`, ...), as sent.
    public var method: String
    /// The request target as sent (`/path?query`).
    public var target: String
    /// The target up to `?`.
    public var path: String
    /// The target after `?` (empty if none).
    public var query: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    /// The body (`Content-Length` bytes; empty without one).
    public var body: [UInt8]
    /// The request line and header fields as received, and where each field's name and value are.
    let head: [UInt8]
    let fields: [(name: Range<Int>, value: Range<Int>)]

    /// Every header field, in order.
    public var headers: [(name: String, value: String)] {
        fields.map { (String(decoding: head[$0.name], as: UTF8.self), String(decoding: head[$0.value], as: UTF8.self)) }
    }

    /// The value of the first header field called `name` (ASCII case-insensitive).
    public func header(_ name: StaticString) -> String? {
        for f in fields where asciiEqualsIgnoringCase(head[f.name], name) {
            return String(decoding: head[f.value], as: UTF8.self)
        }
        return nil
    }

    /// Whether header field `name` has exactly the value `value`, both ASCII case-insensitive.
    public func header(_ name: StaticString, is value: StaticString) -> Bool {
        for f in fields where asciiEqualsIgnoringCase(head[f.name], name) {
            return asciiEqualsIgnoringCase(head[f.value], value)
        }
        return false
    }

    /// Whether the method is `m` (exactly).
    public func methodIs(_ m: StaticString) -> Bool { bytesEqual(method, m) }

    /// Whether the path is `p` (exactly).
    public func pathIs(_ p: StaticString) -> Bool { bytesEqual(path, p) }

    /// Whether the path ends with `suffix` (bytes; `/v2/version` ends with `/version`).
    public func pathEnds(with suffix: StaticString) -> Bool {
        let p = Array(path.utf8)
        return suffix.withUTF8Buffer { s in p.count >= s.count && p[(p.count - s.count)...].elementsEqual(s) }
    }

    /// The value of `name=value` in the query string, if present (not percent-decoded).
    public func queryItem(_ name: StaticString) -> String? {
        let q = Array(query.utf8)
        var result: String? = nil
        var start = 0
        while start <= q.count {
            var end = start
            while end < q.count && q[end] != UInt8(ascii: "&") { end += 1 }
            var eq = start
            while eq < end && q[eq] != UInt8(ascii: "=") { eq += 1 }
            if name.withUTF8Buffer({ $0.elementsEqual(q[start..<eq]) }) {
                result = eq < end ? String(decoding: q[(eq + 1)..<end], as: UTF8.self) : ""
            }
            start = end + 1
        }
        return result
    }
}

/// An HTTP response. The server adds `Content-Length` and `Connection`.
public struct HTTPResponse {
    /// The status code.
    public var status: Int
    /// The `Content-Type` header.
    public var contentType: String
    /// More header fields (the server adds `Content-Length` and `Connection`).
    public var headers: [(name: String, value: String)] = []
    /// The body.
    public var body: [UInt8]

    /// A response with a byte body.
    public init(status: Int = 200, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// A response with a text body (sent as UTF-8).
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

func asciiEqualsIgnoringCase(_ s: ArraySlice<UInt8>, _ t: StaticString) -> Bool {
    t.withUTF8Buffer { tb in
        guard s.count == tb.count else { return false }
        var i = s.startIndex
        for b in tb {
            if asciiLower(s[i]) != asciiLower(b) { return false }
            i += 1
        }
        return true
    }
}

@inline(__always) func asciiLower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c | 0x20 : c }
