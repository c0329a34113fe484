import LoadBalancer
import NIOCore
import NIOHTTP1
import Testing

/// Balancing, keep-alive, headers and bodies through a real proxy on loopback.
@Suite(.timeLimit(.minutes(1)))
struct ProxyRoutingTests {
    @Test func sequentialRequestsRotateOverBackends() async throws {
        try await withBackends(["a", "b", "c"]) { backends in
            try await withProxy(backends: backends.map(\.backend)) { proxy, port in
                var seen: [String: Int] = [:]
                try await TestConnection.with(port: port) { connection in
                    for _ in 0..<30 {
                        let response = try await connection.request()
                        #expect(response.status == .ok)
                        seen[response.text, default: 0] += 1
                    }
                }
                #expect(seen == ["a": 10, "b": 10, "c": 10])
                #expect(proxy.stats.perBackend == ["a": 10, "b": 10, "c": 10])
                #expect(proxy.stats.requests == 30)
            }
        }
    }

    @Test func concurrentClientsAreSpreadOverBackends() async throws {
        try await withBackends(["a", "b"]) { backends in
            try await withProxy(backends: backends.map(\.backend)) { proxy, port in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            try await TestConnection.with(port: port) { connection in
                                for _ in 0..<25 {
                                    let response = try await connection.request()
                                    #expect(response.status == .ok)
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let counts = proxy.stats.perBackend
                #expect(counts.values.reduce(0, +) == 200)
                #expect((counts["a"] ?? 0) >= 60 && (counts["b"] ?? 0) >= 60)
            }
        }
    }

    @Test func clientKeepAliveAndPooledBackendConnections() async throws {
        try await withBackends(["only"]) { backends in
            try await withProxy(backends: [backends[0].backend]) { _, port in
                try await TestConnection.with(port: port) { connection in
                    for _ in 0..<100 {
                        let response = try await connection.request()
                        #expect(response.status == .ok)
                        #expect(response.text == "only")
                        #expect(response.headers.first(name: "connection") == nil)
                    }
                }
                // One client connection, and one backend connection reused for all 100 requests.
                #expect(backends[0].counts.connections == 1)
                #expect(backends[0].counts.requests == 100)
            }
        }
    }

    @Test func forwardedHeadersAndHopByHopStripping() async throws {
        try await withBackends(["h"]) { backends in
            try await withProxy(backends: [backends[0].backend]) { _, port in
                let plain = try await TestConnection.get(port: port)
                #expect(plain.echo("x-forwarded-for") == "127.0.0.1")
                #expect(plain.echo("x-forwarded-proto") == "http")
                #expect(plain.echo("via") == "1.1 sortie")
                #expect(plain.echo("host") == "test.local")
                #expect(plain.headers.first(name: "via") == "1.1 sortie")

                let chained = try await TestConnection.get(port: port, headers: [
                    ("X-Forwarded-For", "203.0.113.7"),
                    ("X-Forwarded-Proto", "https"),
                    ("Connection", "keep-alive, X-Secret"),
                    ("X-Secret", "hop"),
                    ("Keep-Alive", "timeout=5"),
                    ("Proxy-Authorization", "Basic Zm9v"),
                    ("TE", "trailers"),
                    ("X-Kept", "end-to-end"),
                ])
                #expect(chained.status == .ok)
                #expect(chained.echo("x-forwarded-for") == "203.0.113.7, 127.0.0.1")
                #expect(chained.echo("x-forwarded-proto") == "http")
                #expect(chained.echo("x-kept") == "end-to-end")
                for stripped in ["x-secret", "keep-alive", "proxy-authorization", "te"] {
                    #expect(chained.echo(stripped) == nil, "\(stripped) reached the backend")
                }
                // The proxy speaks keep-alive to the backend on its own account.
                #expect(chained.echo("connection") == nil)
            }
        }
    }

    @Test func bodiesBothWays() async throws {
        try await withBackends(["b"]) { backends in
            try await withProxy(backends: [backends[0].backend]) { _, port in
                try await TestConnection.with(port: port) { connection in
                    let posted = try await connection.request(.POST, "/", body: ByteBuffer(repeating: 0x61, count: 300_000))
                    #expect(posted.text == "b 300000")

                    let big = try await connection.request(.GET, "/big/2000000")
                    #expect(big.body.readableBytes == 2_000_000)
                    #expect(big.headers.first(name: "content-length") == "2000000")

                    let chunked = try await connection.request(.GET, "/chunked/1000000")
                    #expect(chunked.body.readableBytes == 1_000_000)

                    let head = try await connection.request(.HEAD, "/big/5000")
                    #expect(head.status == .ok)
                    #expect(head.body.readableBytes == 0)
                    #expect(head.headers.first(name: "content-length") == "5000")

                    // Still in step after all of that.
                    #expect(try await connection.request().text == "b")
                }
            }
        }
    }

    @Test func oversizedRequestBodyGets413() async throws {
        try await withBackends(["b"]) { backends in
            var configuration = ProxyConfiguration()
            configuration.maxRequestBodySize = 1000
            try await withProxy(configuration, backends: [backends[0].backend]) { proxy, port in
                let response = try await TestConnection.with(port: port) { connection in
                    try await connection.request(.POST, "/", body: ByteBuffer(repeating: 0, count: 5000))
                }
                #expect(response.status == .payloadTooLarge)
                #expect(response.headers.first(name: "connection") == "close")
                #expect(backends[0].counts.requests == 0)
                #expect(proxy.stats.failures == 0)
            }
        }
    }
}
