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
        // Lines of the head (CR LF separated; a lone CR, LF or NUL is refused). RFC 9112 §2.2:
        // empty lines before the request line are ignored.
        var lineStart = 0
        while lineStart + 1 < end && b[lineStart] == 13 && b[lineStart + 1] == 10 { lineStart += 2 }
        func lineEnd(from start: Int) -> Int? {
            var i = start
            while i < end {
                if b[i] == 13 && b[i + 1] == 10 { return i }
                if b[i] == 10 || b[i] == 13 || b[i] == 0 { return nil }
                i += 1
            }
            return end
        }
        guard let requestEnd = lineEnd(from: lineStart) else { return .failure(status: 400) }
        let requestLine = lineStart..<requestEnd

        // Request line: method SP target SP HTTP-version (exactly two spaces).
        var spaces: [Int] = []
        for i in requestLine where b[i] == 32 { spaces.append(i) }
        guard spaces.count == 2 else { return .failure(status: 400) }
        let methodRange = requestLine.lowerBound..<spaces[0]
        let targetRange = (spaces[0] + 1)..<spaces[1]
        let versionRange = (spaces[1] + 1)..<requestLine.upperBound
        guard !methodRange.isEmpty, !targetRange.isEmpty, versionRange.count == 8 else { return .failure(status: 400) }
        for i in methodRange where !isTokenChar(b[i]) { return .failure(status: 400) }
        for i in targetRange where b[i] <= 32 || b[i] >= 127 { return .failure(status: 400) }
        let v = versionRange.lowerBound
        guard b[v] == 72, b[v + 1] == 84, b[v + 2] == 84, b[v + 3] == 80, b[v + 4] == 47, b[v + 6] == 46 else {
            return .failure(status: 400)                     // "HTTP/x.y"
        }
        guard b[v + 5] == 49, b[v + 7] == 48 || b[v + 7] == 49 else { return .failure(status: 505) }
        let t = targetRange.lowerBound
        guard b[t] == 47 || (targetRange.count == 1 && b[t] == 42) else { return .failure(status: 400) }
        var q = targetRange.upperBound
        for i in targetRange where b[i] == 63 { q = i; break }

        // Header fields: name ":" OWS value OWS.
        var fields: [(name: Range<Int>, value: Range<Int>)] = []
        var contentLength = -1
        var start = requestEnd + 2
        while start < end {
            guard let stop = lineEnd(from: start) else { return .failure(status: 400) }
            var colon = start
            while colon < stop && b[colon] != 58 { colon += 1 }
            guard colon < stop, colon > start else { return .failure(status: 400) }
            for i in start..<colon where !isTokenChar(b[i]) { return .failure(status: 400) }
            var vs = colon + 1
            var ve = stop
            while vs < ve && (b[vs] == 32 || b[vs] == 9) { vs += 1 }
            while ve > vs && (b[ve - 1] == 32 || b[ve - 1] == 9) { ve -= 1 }
            let name = (start - lineStart)..<(colon - lineStart)
            let value = (vs - lineStart)..<(ve - lineStart)
            if nameIs(b, start..<colon, "content-length") {
                guard let n = decimal(b[vs..<ve]), contentLength < 0 || contentLength == n else { return .failure(status: 400) }
                contentLength = n
            } else if nameIs(b, start..<colon, "transfer-encoding") {
                return .failure(status: 501)
            }
            fields.append((name, value))
            start = stop + 2
        }
        let bodyStart = end + 4
        let bodyLength = max(contentLength, 0)
        if bodyLength > maxBodyBytes { return .failure(status: 413) }
        if b.count - bodyStart < bodyLength { return .incomplete }
        let request = HTTPRequest(
            method: String(decoding: b[methodRange], as: UTF8.self),
            target: String(decoding: b[targetRange], as: UTF8.self),
            path: String(decoding: b[t..<q], as: UTF8.self),
            query: q < targetRange.upperBound ? String(decoding: b[(q + 1)..<targetRange.upperBound], as: UTF8.self) : "",
            minorVersion: b[v + 7] == 49 ? 1 : 0,
            body: Array(b[bodyStart..<(bodyStart + bodyLength)]),
            head: Array(b[lineStart..<end]),
            fields: fields)
        return .request(request, consumed: bodyStart + bodyLength)
    }

    static func nameIs(_ b: UnsafeRawBufferPointer, _ r: Range<Int>, _ name: StaticString) -> Bool {
        name.withUTF8Buffer { n in
            guard r.count == n.count else { return false }
            for (k, i) in r.enumerated() where asciiLower(b[i]) != n[k] { return false }
            return true
        }
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
