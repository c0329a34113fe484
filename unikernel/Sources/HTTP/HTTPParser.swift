/// Parses HTTP/1.1 requests (RFC 9112) from the bytes a connection received so far.
enum HTTPParser {
    /// Request line and header fields together may not exceed this (431 past it).
    static let maxHeaderBytes = 8192
    /// Request bodies may not exceed this (413 past it).
    static let maxBodyBytes = 65536

    enum Result {
        /// More bytes are needed.
        case incomplete
        /// A request, and how many bytes of the buffer it used.
        case request(HTTPRequest, consumed: Int)
        /// The request is refused with this status; the connection closes after the answer.
        case failure(status: Int)
    }

    static func parse(_ b: UnsafeRawBufferPointer) -> Result {
        // End of the header section: CRLF CRLF.
        var end = -1
        var i = 0
        let limit = min(b.count, maxHeaderBytes + 4)
        while i + 3 < limit {
            if b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { end = i; break }
            i += 1
        }
        if end < 0 {
            // Bytes that can never start a request are refused at once.
            if b.count > 0 && !isTokenChar(b[0]) && !(b[0] == 13 || b[0] == 10) { return .failure(status: 400) }
            return b.count > maxHeaderBytes ? .failure(status: 431) : .incomplete
        }
        var lines: [Range<Int>] = []
        var start = 0
        i = 0
        while i < end {
            if b[i] == 13 && b[i + 1] == 10 {
                lines.append(start..<i)
                start = i + 2
                i += 2
            } else {
                if b[i] == 10 || b[i] == 13 || b[i] == 0 { return .failure(status: 400) }
                i += 1
            }
        }
        lines.append(start..<end)
        // RFC 9112 §2.2: empty lines before the request line are ignored.
        while let first = lines.first, first.isEmpty { lines.removeFirst() }
        guard let requestLine = lines.first else { return .failure(status: 400) }

        // Request line: method SP target SP HTTP-version.
        let rl = b[requestLine]
        let parts = rl.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(isTokenChar), !parts[1].isEmpty,
              parts[1].allSatisfy({ $0 > 32 && $0 < 127 }) else { return .failure(status: 400) }
        let version = Array(parts[2])
        guard version.count == 8, version[0...4].elementsEqual("HTTP/".utf8), version[6] == UInt8(ascii: ".") else {
            return .failure(status: 400)
        }
        guard version[5] == UInt8(ascii: "1"), version[7] == UInt8(ascii: "0") || version[7] == UInt8(ascii: "1") else {
            return .failure(status: 505)
        }
        let target = parts[1]
        guard target.first == UInt8(ascii: "/") || target.elementsEqual("*".utf8) else { return .failure(status: 400) }
        let q = target.firstIndex(of: UInt8(ascii: "?"))

        var headers: [(name: String, value: String)] = []
        var contentLength = -1
        for line in lines.dropFirst() {
            let h = b[line]
            guard let colon = h.firstIndex(of: UInt8(ascii: ":")), colon > h.startIndex,
                  h[h.startIndex..<colon].allSatisfy(isTokenChar) else { return .failure(status: 400) }
            var vs = colon + 1
            var ve = h.endIndex
            while vs < ve && (h[vs] == 32 || h[vs] == 9) { vs += 1 }
            while ve > vs && (h[ve - 1] == 32 || h[ve - 1] == 9) { ve -= 1 }
            let name = String(decoding: h[h.startIndex..<colon], as: UTF8.self)
            let value = String(decoding: h[vs..<ve], as: UTF8.self)
            if asciiEqualsIgnoringCase(name, "content-length") {
                guard let n = decimal(h[vs..<ve]), contentLength < 0 || contentLength == n else { return .failure(status: 400) }
                contentLength = n
            } else if asciiEqualsIgnoringCase(name, "transfer-encoding") {
                return .failure(status: 501)
            }
            headers.append((name, value))
        }
        let bodyStart = end + 4
        let bodyLength = max(contentLength, 0)
        if bodyLength > maxBodyBytes { return .failure(status: 413) }
        if b.count - bodyStart < bodyLength { return .incomplete }
        let request = HTTPRequest(
            method: String(decoding: parts[0], as: UTF8.self),
            target: String(decoding: target, as: UTF8.self),
            path: String(decoding: target[target.startIndex..<(q ?? target.endIndex)], as: UTF8.self),
            query: q.map { String(decoding: target[($0 + 1)...], as: UTF8.self) } ?? "",
            minorVersion: version[7] == UInt8(ascii: "1") ? 1 : 0,
            headers: headers,
            body: Array(b[bodyStart..<(bodyStart + bodyLength)]))
        return .request(request, consumed: bodyStart + bodyLength)
    }

    /// RFC 9110 tchar.
    static func isTokenChar(_ c: UInt8) -> Bool {
        switch c {
        case 48...57, 65...90, 97...122: return true
        case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: return true
        default: return false
        }
    }

    static func decimal(_ digits: Slice<UnsafeRawBufferPointer>) -> Int? {
        guard !digits.isEmpty, digits.count <= 12 else { return nil }
        var n = 0
        for c in digits {
            guard c >= 48 && c <= 57 else { return nil }
            n = n * 10 + Int(c - 48)
        }
        return n
    }
}
