import NIOHTTP1

/// The header changes a reverse proxy makes to a request, in one pass over its head.
///
/// Requests: hop-by-hop headers (RFC 9110 §7.6.1: `Connection` and every header it names,
/// `Keep-Alive`, `Proxy-Connection`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`,
/// `Proxy-Authenticate`, `Proxy-Authorization`) are removed; the client address is appended to
/// `X-Forwarded-For`; `X-Forwarded-Proto` is set to `http`; `Via` gets the proxy's entry; an
/// `Expect: 100-continue` is answered by the proxy and not forwarded (the body is buffered first).
/// Responses are rewritten in bytes, by ``ResponseHeadWriter``.
enum HeaderRewriter {
    struct Request {
        var headers: HTTPHeaders
        var expectsContinue = false
        var hasHost = false
        var hasContentLength = false
        var wasChunked = false
    }

    static func request(_ original: HTTPHeaders, clientAddress: String, via: String) -> Request {
        var result = Request(headers: original)
        var forwardedFor: String?
        var priorVia: String?
        var rebuild = false
        for (name, value) in original {
            switch classify(name) {
            case .hopByHop:
                rebuild = true
                if name.equalsLowercaseASCII("transfer-encoding") { result.wasChunked = true }
            case .forwardedFor:
                rebuild = true
                forwardedFor = forwardedFor.map { "\($0), \(value)" } ?? value
            case .forwardedProto:
                rebuild = true
            case .via:
                rebuild = true
                priorVia = priorVia.map { "\($0), \(value)" } ?? value
            case .expect:
                if value.equalsLowercaseASCII("100-continue") {
                    rebuild = true
                    result.expectsContinue = true
                }
            case .host:
                result.hasHost = true
            case .contentLength:
                result.hasContentLength = true
            case .other:
                break
            }
        }
        if rebuild {
            // Rare (a client that sends hop-by-hop or forwarding headers): filter into a new block.
            let nominated = connectionTokens(original)
            var kept = HTTPHeaders()
            kept.reserveCapacity(original.count + 3)
            for (name, value) in original {
                switch classify(name) {
                case .hopByHop, .forwardedFor, .forwardedProto, .via:
                    continue
                case .expect where result.expectsContinue:
                    continue
                default:
                    if let nominated, nominated.contains(where: { name.equalsLowercaseASCII($0) }) { continue }
                    kept.add(name: name, value: value)
                }
            }
            result.headers = kept
        }
        result.headers.add(name: "X-Forwarded-For", value: forwardedFor.map { "\($0), \(clientAddress)" } ?? clientAddress)
        result.headers.add(name: "X-Forwarded-Proto", value: "http")
        result.headers.add(name: "Via", value: priorVia.map { "\($0), \(via)" } ?? via)
        return result
    }

    /// True for the `Connection` values that name no other header.
    private static func namesNoHeader(_ value: String) -> Bool {
        value.equalsLowercaseASCII("keep-alive") || value.equalsLowercaseASCII("close")
    }

    /// Lowercased header names listed in `Connection` (other than `close` and `keep-alive`, which
    /// name no header), or nil when there are none.
    static func connectionTokens(_ headers: HTTPHeaders) -> [String]? {
        var tokens: [String]?
        for (name, value) in headers where name.equalsLowercaseASCII("connection") && !namesNoHeader(value) {
            for token in value.split(separator: ",") {
                let trimmed = token.trimmingASCIISpaces().lowercased()
                if trimmed.isEmpty || trimmed == "close" || trimmed == "keep-alive" { continue }
                tokens = (tokens ?? []) + [trimmed]
            }
        }
        return tokens
    }

    enum Kind {
        case hopByHop, forwardedFor, forwardedProto, via, expect, host, contentLength, other
    }

    static func classify(_ name: String) -> Kind {
        switch name.utf8.count {
        case 2: return name.equalsLowercaseASCII("te") ? .hopByHop : .other
        case 3: return name.equalsLowercaseASCII("via") ? .via : .other
        case 4: return name.equalsLowercaseASCII("host") ? .host : .other
        case 6: return name.equalsLowercaseASCII("expect") ? .expect : .other
        case 7:
            return name.equalsLowercaseASCII("trailer") || name.equalsLowercaseASCII("upgrade") ? .hopByHop : .other
        case 10:
            return name.equalsLowercaseASCII("connection") || name.equalsLowercaseASCII("keep-alive")
                ? .hopByHop : .other
        case 14: return name.equalsLowercaseASCII("content-length") ? .contentLength : .other
        case 15: return name.equalsLowercaseASCII("x-forwarded-for") ? .forwardedFor : .other
        case 16: return name.equalsLowercaseASCII("proxy-connection") ? .hopByHop : .other
        case 17:
            if name.equalsLowercaseASCII("transfer-encoding") { return .hopByHop }
            return name.equalsLowercaseASCII("x-forwarded-proto") ? .forwardedProto : .other
        case 18: return name.equalsLowercaseASCII("proxy-authenticate") ? .hopByHop : .other
        case 19: return name.equalsLowercaseASCII("proxy-authorization") ? .hopByHop : .other
        default: return .other
        }
    }
}

extension String {
    /// ASCII case-insensitive equality with `lowercase`, which must be lowercase ASCII.
    @inline(__always)
    func equalsLowercaseASCII(_ lowercase: String) -> Bool {
        let a = utf8
        let b = lowercase.utf8
        guard a.count == b.count else { return false }
        var j = b.startIndex
        for x in a {
            let y = b[j]
            if x != y && !(x >= 0x41 && x <= 0x5A && x &+ 0x20 == y) { return false }
            j = b.index(after: j)
        }
        return true
    }
}

extension Substring {
    func trimmingASCIISpaces() -> Substring {
        var s = self
        while let first = s.first, first == " " || first == "\t" { s = s.dropFirst() }
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return s
    }
}
