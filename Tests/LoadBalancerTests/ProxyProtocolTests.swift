import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import LoadBalancer

/// HTTP/1.x details on the client side, spoken byte by byte.
@Suite(.timeLimit(.minutes(1)))
struct ProxyProtocolTests {
    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withBackends(["a", "b"]) { backends in
            try await withProxy(backends: backends.map(\.backend)) { proxy, port in
                let request = "GET /slow/50 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /big/3 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                let received = try await rawExchange(port: port, request)
                let statuses = received.components(separatedBy: "HTTP/1.1 200 OK").count - 1
                #expect(statuses == 3)
                // The slow one first (from a), then b's "xxx", then a again.
                let first = try #require(received.range(of: "\r\n\r\na"))
                let second = try #require(received.range(of: "\r\n\r\nxxx"))
                #expect(first.lowerBound < second.lowerBound)
                #expect(received.hasSuffix("\r\n\r\na"))
                #expect(proxy.stats.requests == 3)
            }
        }
    }

    @Test func halfClosedClientStillGetsItsResponses() async throws {
        try await withBackends(["a"]) { backends in
            try await withProxy(backends: [backends[0].backend]) { _, port in
                let received = try await rawExchange(port: port,
                    "GET /slow/100 HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", halfClose: true)
                #expect(received.components(separatedBy: "HTTP/1.1 200 OK").count - 1 == 2)
                #expect(received.hasSuffix("\r\n\r\na"))
            }
        }
    }

    @Test func malformedRequestGets400() async throws {
        try await withBackends(["a"]) { backends in
            try await withProxy(backends: [backends[0].backend]) { _, port in
                let received = try await rawExchange(port: port, "NOT HTTP AT ALL\r\n\r\n")
                #expect(received.hasPrefix("HTTP/1.1 400 Bad Request"))
                #expect(backends[0].counts.requests == 0)
            }
        }
    }

    @Test func http10ClientGetsAnHTTP10Response() async throws {
        try await withBackends(["a"]) { backends in
            try await withProxy(backends: [backends[0].backend]) { _, port in
                let plain = try await rawExchange(port: port, "GET / HTTP/1.0\r\n\r\n")
                #expect(plain.hasPrefix("HTTP/1.0 200 OK"))
                #expect(plain.lowercased().contains("connection: close"))
                #expect(plain.hasSuffix("\r\n\r\na"))

                // A chunked response cannot go to an HTTP/1.0 client: it ends with the connection.
                let chunked = try await rawExchange(port: port, "GET /chunked/40000 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                #expect(chunked.hasPrefix("HTTP/1.0 200 OK"))
                #expect(!chunked.lowercased().contains("transfer-encoding"))
                #expect(chunked.hasSuffix(String(repeating: "y", count: 40000)))
            }
        }
    }

    @Test func expectContinueIsAnsweredByTheProxy() async throws {
        try await withBackends(["b"]) { backends in
            try await withProxy(backends: [backends[0].backend]) { _, port in
                let received = try await rawExchange(port: port,
                    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: close\r\n\r\nabc")
                #expect(received.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"))
                #expect(received.hasSuffix("b 3"))
            }
        }
    }

    @Test func chunkedRequestBodyIsForwardedWithALength() async throws {
        try await withBackends(["b"]) { backends in
            try await withProxy(backends: [backends[0].backend]) { _, port in
                let received = try await rawExchange(port: port,
                    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
                #expect(received.hasPrefix("HTTP/1.1 200 OK"))
                #expect(received.lowercased().contains("x-echo-content-length: 11"))
                #expect(!received.lowercased().contains("x-echo-transfer-encoding"))
                #expect(received.hasSuffix("b 11"))
            }
        }
    }
}
