import NIOCore
import Testing

@testable import LoadBalancer

/// The backend response framer on bytes alone: every framing of RFC 9112 §6, fed whole and split
/// at every byte, with the bytes the client would receive.
@Suite struct ResponseFramerTests {
    struct Outcome {
        var heads: [ResponseHead] = []
        var body = ""
        var ended = false
        /// Bytes left after the end of the response.
        var leftover = 0
    }

    /// Runs a framer over `pieces` (one read each), then the close if `close`.
    static func frame(_ pieces: [String], head isHead: Bool = false, dechunk: Bool = false, close: Bool = false) throws -> Outcome {
        var framer = ResponseFramer(isHeadRequest: isHead, dechunk: dechunk)
        var outcome = Outcome()
        for piece in pieces {
            var buffer = ByteBuffer(string: piece)
            while let event = try framer.next(&buffer) {
                switch event {
                case .head(let head): outcome.heads.append(head)
                case .body(let bytes): outcome.body += String(buffer: bytes)
                case .end: outcome.ended = true
                }
            }
            outcome.leftover += buffer.readableBytes
        }
        if close, let event = framer.finishAtClose() {
            #expect(event == .end)
            outcome.ended = true
        }
        #expect(outcome.ended == framer.isComplete)
        return outcome
    }

    /// Every split of `text` in two reads, plus one read per byte.
    static func splits(_ text: String) -> [[String]] {
        let bytes = Array(text.utf8)
        var result = (0...bytes.count).map { cut in
            [String(decoding: bytes[..<cut], as: UTF8.self), String(decoding: bytes[cut...], as: UTF8.self)]
        }
        result.append(bytes.map { String(decoding: [$0], as: UTF8.self) })
        return result
    }

    static let lengthResponse = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: t\r\n\r\nhello"
    static let chunkedBody = "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
    static let chunkedResponse = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedBody

    @Test func contentLengthWholeOrSplitAnywhere() throws {
        for pieces in Self.splits(Self.lengthResponse) {
            let outcome = try Self.frame(pieces)
            #expect(outcome.heads.count == 1)
            #expect(outcome.heads.first?.status == 200)
            #expect(outcome.heads.first?.framing == .length(5))
            #expect(outcome.heads.first?.keepAlive == true)
            #expect(outcome.body == "hello")
            #expect(outcome.ended)
        }
    }

    @Test func bytesAfterTheResponseAreLeftOver() throws {
        let outcome = try Self.frame([Self.lengthResponse + "HTTP/1.1 200"])
        #expect(outcome.ended && outcome.body == "hello")
        #expect(outcome.leftover == 12)
    }

    @Test func chunkedFramingIsRelayedAsIsWhereverReadsSplit() throws {
        for pieces in Self.splits(Self.chunkedResponse) {
            let outcome = try Self.frame(pieces)
            #expect(outcome.heads.first?.framing == .chunked)
            #expect(outcome.body == Self.chunkedBody)
            #expect(outcome.ended)
            #expect(outcome.leftover == 0)
        }
    }

    @Test func chunkedFramingIsRemovedForAnHTTP10Client() throws {
        for pieces in Self.splits(Self.chunkedResponse) {
            let outcome = try Self.frame(pieces, dechunk: true)
            #expect(outcome.body == "hello, world")
            #expect(outcome.ended)
        }
    }

    @Test func noBodyAfterHEADOr204Or304() throws {
        let head = try Self.frame(["HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"], head: true)
        #expect(head.ended && head.body.isEmpty && head.heads.first?.framing == ResponseHead.Framing.none)
        for status in ["204 No Content", "304 Not Modified"] {
            let outcome = try Self.frame(["HTTP/1.1 \(status)\r\nTransfer-Encoding: chunked\r\n\r\n"])
            #expect(outcome.ended && outcome.body.isEmpty)
        }
    }

    @Test func interimResponsesPrecedeTheFinalOne() throws {
        let outcome = try Self.frame(["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n", Self.lengthResponse])
        #expect(outcome.heads.map(\.status) == [100, 103, 200])
        #expect(outcome.heads.map(\.isInterim) == [true, true, false])
        #expect(outcome.body == "hello" && outcome.ended)
    }

    @Test func aBodyWithoutLengthEndsWithTheConnection() throws {
        let open = try Self.frame(["HTTP/1.0 200 OK\r\n\r\nsome", " bytes"])
        #expect(!open.ended && open.body == "some bytes")
        #expect(open.heads.first?.keepAlive == false)
        let closed = try Self.frame(["HTTP/1.0 200 OK\r\n\r\nsome"], close: true)
        #expect(closed.ended)
        // A close in the middle of a sized body is not an end.
        let cut = try Self.frame(["HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nsome"], close: true)
        #expect(!cut.ended)
    }

    @Test func keepAliveFollowsVersionAndConnection() throws {
        func keepAlive(_ head: String) throws -> Bool? { try Self.frame([head + "Content-Length: 0\r\n\r\n"]).heads.first?.keepAlive }
        #expect(try keepAlive("HTTP/1.1 200 OK\r\n") == true)
        #expect(try keepAlive("HTTP/1.1 200 OK\r\nConnection: close\r\n") == false)
        #expect(try keepAlive("HTTP/1.0 200 OK\r\n") == false)
        #expect(try keepAlive("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n") == true)
        // Transfer-Encoding with Content-Length: chunked wins, and the connection is not reused.
        let both = try Self.frame(["HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"])
        #expect(both.heads.first?.framing == .chunked && both.heads.first?.keepAlive == false && both.ended)
        // A coding other than a final chunked runs until close.
        let gzip = try Self.frame(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxx"])
        #expect(gzip.heads.first?.framing == .untilClose && gzip.heads.first?.keepAlive == false)
    }

    @Test func malformedResponsesAreRefused() {
        let bad = [
            "HTTP/2 200 OK\r\n\r\n",
            "HTTP/1.1 2x0 OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
            "HTTP/1.1 200 OK\r\nBad Name: a\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
        ]
        for response in bad {
            #expect(throws: ResponseFramer.Failure.self, "\(response.debugDescription)") { try Self.frame([response]) }
        }
        let huge = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Filler: 0123456789\r\n", count: 4000)
        #expect(throws: ResponseFramer.Failure.headTooLarge) { try Self.frame([huge]) }
    }

    @Test func aResponseWithoutAnyByteHasNotStarted() throws {
        var framer = ResponseFramer(isHeadRequest: false, dechunk: false)
        #expect(!framer.hasStarted)
        var partial = ByteBuffer(string: "HTTP/1.1 2")
        #expect(try framer.next(&partial) == nil)
        #expect(framer.hasStarted)
    }
}

@Suite struct ResponseHeadWriterTests {
    static func written(_ response: String, clientMinor: Int = 1, keepAlive: Bool = true, relay: Bool = true) throws -> String {
        var framer = ResponseFramer(isHeadRequest: false, dechunk: !relay)
        var buffer = ByteBuffer(string: response)
        guard case .head(let head) = try framer.next(&buffer) else { Issue.record("no head"); return "" }
        var out = ByteBuffer()
        ResponseHeadWriter.write(head, clientMinorVersion: clientMinor, keepAlive: keepAlive,
                                 relaysChunkFraming: relay, via: "1.1 sortie", into: &out)
        return String(buffer: out)
    }

    @Test func hopByHopHeadersGoAndViaIsAppended() throws {
        let out = try Self.written("HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
                                   + "Via: 1.0 fred\r\nContent-Length: 5\r\nServer: nginx\r\n\r\n")
        #expect(out == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: nginx\r\nVia: 1.0 fred, 1.1 sortie\r\n\r\n")
    }

    @Test func theBackendsOrderIsKept() throws {
        let out = try Self.written("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 3\r\nConnection: keep-alive\r\nETag: x\r\n\r\n")
        #expect(out == "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 3\r\nETag: x\r\nVia: 1.1 sortie\r\n\r\n")
        let nominating = try Self.written("HTTP/1.1 204 No Content\r\nConnection: close, X-Internal\r\nX-Internal: 1\r\nVia: 1.0 a\r\n\r\n",
                                          keepAlive: false)
        #expect(nominating == "HTTP/1.1 204 No Content\r\nVia: 1.0 a, 1.1 sortie\r\nConnection: close\r\n\r\n")
    }

    @Test func theClientsVersionAndConnectionAreWritten() throws {
        let closing = try Self.written("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", keepAlive: false)
        #expect(closing == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nVia: 1.1 sortie\r\nConnection: close\r\n\r\n")
        let http10 = try Self.written("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", clientMinor: 0)
        #expect(http10 == "HTTP/1.0 200 OK\r\nContent-Length: 0\r\nVia: 1.1 sortie\r\nConnection: keep-alive\r\n\r\n")
    }

    @Test func transferEncodingStaysOnlyWithItsFraming() throws {
        let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(try Self.written(response).contains("Transfer-Encoding: chunked\r\n"))
        #expect(try !Self.written(response, clientMinor: 0, keepAlive: false, relay: false).contains("Transfer-Encoding"))
    }
}
