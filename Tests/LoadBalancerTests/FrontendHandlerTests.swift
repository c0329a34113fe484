import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import LoadBalancer

/// The client-connection handler on embedded channels: bytes in from the client and the backends,
/// bytes out, time moved by hand. Each test is one behaviour a client or a backend would notice.
@Suite struct FrontendHandlerTests {
    static let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"

    @Test func aRequestIsRelayedAndItsConnectionPooled() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let client = proxy.client()
        try client.receive("GET /x HTTP/1.1\r\nHost: site\r\nConnection: keep-alive\r\n\r\n")
        let backend = try #require(proxy.connection(to: "a"))
        let sent = try backend.written()
        #expect(sent.hasPrefix("GET /x HTTP/1.1\r\nHost: site\r\n"))
        #expect(sent.contains("X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: http\r\nVia: 1.1 sortie\r\n"))
        #expect(!sent.lowercased().contains("connection:"), "hop-by-hop headers stay with the client")
        try backend.receive("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi")
        #expect(try client.written() == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nVia: 1.1 sortie\r\n\r\nhi")
        // The next request takes the pooled connection.
        try client.receive("GET /y HTTP/1.1\r\nHost: site\r\n\r\n")
        #expect(proxy.connections.count == 1)
        #expect(try backend.written().hasPrefix("GET /y HTTP/1.1"))
        #expect(proxy.pool.counters.withLockedValue { $0.requests } == 1)
    }

    @Test func pipelinedRequestsGoOneAtATimeInOrder() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let client = proxy.client()
        try client.receive("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n")
        let backend = try #require(proxy.connection(to: "a"))
        let first = try backend.written()
        #expect(first.hasPrefix("GET /1 ") && !first.contains("GET /2"))
        try backend.receive("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1")
        #expect(try backend.written().hasPrefix("GET /2 "))
        try backend.receive("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2")
        let answers = try client.written()
        #expect(answers.hasSuffix("\r\n\r\n2"))
        #expect(answers.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        #expect(answers.range(of: "\r\n\r\n1")!.lowerBound < answers.range(of: "\r\n\r\n2")!.lowerBound)
    }

    @Test func aGetWhoseBackendHangsUpUnansweredMovesToAnother() throws {
        let proxy = EmbeddedProxy(backends: ["a", "b"])
        let client = proxy.client()
        try client.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let first = try #require(proxy.connections.first)
        try first.channel.close().wait()
        let second = try #require(proxy.connections.last)
        #expect(second.backend.id != first.backend.id)
        #expect(try second.channel.written().hasPrefix("GET / "))
        try second.channel.receive(Self.ok)
        #expect(try client.written().hasPrefix("HTTP/1.1 200 OK"))
        #expect(proxy.pool.counters.withLockedValue { $0.retries } == 1)
    }

    @Test func aPostWhoseBackendHangsUpGets502() throws {
        let proxy = EmbeddedProxy(backends: ["a", "b"])
        let client = proxy.client()
        try client.receive("POST /order HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc")
        try #require(proxy.connections.count == 1)
        #expect(try proxy.connections[0].channel.written().hasSuffix("\r\n\r\nabc"))
        try proxy.connections[0].channel.close().wait()
        #expect(proxy.connections.count == 1, "a request that may have been processed is not sent again")
        #expect(try client.written().hasPrefix("HTTP/1.1 502 Bad Gateway"))
    }

    @Test func aPostWhoseConnectFailedMovesToAnother() throws {
        let proxy = EmbeddedProxy(backends: ["a", "b"])
        proxy.refusing = ["a"]
        let client = proxy.client()
        try client.receive("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx")
        let backend = try #require(proxy.connection(to: "b"))
        #expect(try backend.written().hasPrefix("POST / "))
        try backend.receive(Self.ok)
        #expect(try client.written().hasPrefix("HTTP/1.1 200 OK"))
    }

    @Test func aBackendFailingMidResponseCutsTheClient() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let client = proxy.client()
        try client.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let backend = try #require(proxy.connection(to: "a"))
        try backend.receive("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
        #expect(try client.written().hasSuffix("half"))
        try backend.close().wait()
        #expect(!client.isActive, "a response that cannot be completed ends with the connection")
        #expect(proxy.pool.counters.withLockedValue { $0.aborted } == 1)
    }

    @Test func aClientLeavingMidResponseClosesTheBackendConnection() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let client = proxy.client()
        try client.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let backend = try #require(proxy.connection(to: "a"))
        try backend.receive("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
        try client.close().wait()
        #expect(!backend.isActive, "the rest of that response can never be used")
        #expect(proxy.pool.counters.withLockedValue { $0.aborted } == 1)
    }

    @Test func expectContinueIsAnsweredBeforeTheBodyIsForwarded() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let client = proxy.client()
        try client.receive("PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        #expect(try client.written() == "HTTP/1.1 100 Continue\r\n\r\n")
        #expect(proxy.connections.isEmpty, "the body is buffered first")
        try client.receive("data")
        let sent = try #require(proxy.connection(to: "a")).written()
        #expect(!sent.lowercased().contains("expect"))
        #expect(sent.hasSuffix("Content-Length: 4\r\nX-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: http\r\nVia: 1.1 sortie\r\n\r\ndata"))
    }

    @Test func chunkedBodiesBothWays() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let client = proxy.client()
        try client.receive("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        let backend = try #require(proxy.connection(to: "a"))
        let sent = try backend.written()
        #expect(sent.contains("Content-Length: 5\r\n") && sent.hasSuffix("\r\n\r\nabcde"), "a chunked request goes on with its length")
        #expect(!sent.lowercased().contains("transfer-encoding"))
        let chunked = "4\r\nwiki\r\n0\r\n\r\n"
        try backend.receive("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
        #expect(try client.written() == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nVia: 1.1 sortie\r\n\r\n" + chunked)
        #expect(client.isActive)
    }

    @Test func anHTTP10ClientGetsAChunkedResponseDechunkedUntilClose() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let client = proxy.client()
        try client.receive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let backend = try #require(proxy.connection(to: "a"))
        try backend.receive("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n0\r\n\r\n")
        #expect(try client.written() == "HTTP/1.0 200 OK\r\nVia: 1.1 sortie\r\nConnection: close\r\n\r\nwiki")
        #expect(!client.isActive)
    }

    @Test func headAnd204And304CarryNoBody() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let client = proxy.client()
        try client.receive("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")
        let backend = try #require(proxy.connection(to: "a"))
        _ = try backend.written()
        try backend.receive("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        #expect(try client.written() == "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nVia: 1.1 sortie\r\n\r\n")
        for status in ["204 No Content", "304 Not Modified"] {
            try client.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
            _ = try backend.written()
            try backend.receive("HTTP/1.1 \(status)\r\n\r\n")
            #expect(try client.written() == "HTTP/1.1 \(status)\r\nVia: 1.1 sortie\r\n\r\n")
        }
        #expect(proxy.connections.count == 1 && client.isActive)
    }

    @Test func interimResponsesAreRelayed() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let client = proxy.client()
        try client.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let backend = try #require(proxy.connection(to: "a"))
        try backend.receive("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + Self.ok)
        #expect(try client.written().hasPrefix("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\n"))
    }

    @Test func connectionCloseFromEitherSide() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let client = proxy.client()
        try client.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let backend = try #require(proxy.connection(to: "a"))
        try backend.receive("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi")
        #expect(!backend.isActive, "a connection the backend closes is not pooled")
        #expect(client.isActive)
        try client.receive("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        #expect(proxy.connections.count == 2)
        try #require(proxy.connection(to: "a")).receive(Self.ok)
        #expect(try client.written().hasSuffix("Connection: close\r\n\r\nhi"))
        #expect(!client.isActive)
    }

    @Test func aSlowBackendGets504AtTheTimeoutAndNotBefore() throws {
        var configuration = ProxyConfiguration()
        configuration.backendTimeout = .seconds(30)
        let proxy = EmbeddedProxy(backends: ["a"], configuration: configuration)
        let client = proxy.client()
        try client.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        proxy.loop.advanceTime(by: .seconds(29))
        #expect(try client.written().isEmpty)
        proxy.loop.advanceTime(by: .seconds(1))
        #expect(try client.written().hasPrefix("HTTP/1.1 504 Gateway Timeout"))
        #expect(!(try #require(proxy.connection(to: "a"))).isActive, "the late response can never be used")
        // The client's connection survives the timeout.
        try client.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        try #require(proxy.connection(to: "a")).receive(Self.ok)
        #expect(try client.written().hasPrefix("HTTP/1.1 200 OK"))
        #expect(proxy.pool.counters.withLockedValue { ($0.failures, $0.retries) } == (1, 0))
    }

    @Test func aPooledConnectionTheBackendClosedIsNotUsed() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let client = proxy.client()
        try client.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let first = try #require(proxy.connection(to: "a"))
        try first.receive(Self.ok)
        _ = try client.written()
        // The backend's idle timeout closes the pooled connection.
        try first.close().wait()
        try client.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(proxy.connections.count == 2)
        try #require(proxy.connection(to: "a")).receive(Self.ok)
        #expect(try client.written().hasPrefix("HTTP/1.1 200 OK"))
        #expect(proxy.pool.counters.withLockedValue { $0.retries } == 0)
    }

    @Test func aPooledConnectionClosedAsTheRequestArrivesIsRetriedFresh() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let client = proxy.client()
        try client.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let first = try #require(proxy.connections.first)
        try first.channel.receive(Self.ok)
        _ = try client.written()
        try client.receive("GET /again HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try first.channel.written().contains("GET /again "), "the pooled connection was reused")
        // The keep-alive race: the backend had closed it just before.
        try first.channel.close().wait()
        let fresh = try #require(proxy.connections.last)
        #expect(proxy.connections.count == 2, "resent on a fresh connection")
        try fresh.channel.receive(Self.ok)
        #expect(try client.written().hasPrefix("HTTP/1.1 200 OK"))
        #expect(proxy.pool.counters.withLockedValue { ($0.retries, $0.failures) } == (1, 0))
    }

    @Test func anIdleClientIsClosedAfterTheIdleTimeout() throws {
        var configuration = ProxyConfiguration()
        configuration.clientIdleTimeout = .seconds(610)
        let proxy = EmbeddedProxy(backends: ["a"], configuration: configuration)
        let client = proxy.client()
        proxy.loop.advanceTime(by: .seconds(609))
        #expect(client.isActive)
        proxy.loop.advanceTime(by: .seconds(1))
        #expect(!client.isActive)
    }

    @Test func noBackendsGives503() throws {
        let proxy = EmbeddedProxy(backends: [])
        let client = proxy.client()
        try client.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try client.written().hasPrefix("HTTP/1.1 503 Service Unavailable"))
        #expect(client.isActive)
    }

    @Test func aRemovedBackendDrainsWhenItsLastRequestEnds() throws {
        let proxy = EmbeddedProxy(backends: ["a", "b"])
        let client = proxy.client()
        try client.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let first = try #require(proxy.connections.first)
        proxy.setBackends(["b", "a"].filter { $0 != first.backend.id })
        proxy.pool.refresh()
        let drained = proxy.pool.waitUntilDrained(first.backend.id, deadline: proxy.loop.now + .seconds(30))
        let result = NIOLockedValueBox<Bool?>(nil)
        drained.whenSuccess { value in result.withLockedValue { $0 = value } }
        #expect(result.withLockedValue { $0 } == nil, "a request is still in flight")
        try first.channel.receive(Self.ok)
        #expect(result.withLockedValue { $0 } == true)
        #expect(!first.channel.isActive, "a removed backend's connection is not pooled")
    }

    @Test func drainingGivesUpAtItsDeadline() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let client = proxy.client()
        try client.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        proxy.setBackends([])
        proxy.pool.refresh()
        let result = NIOLockedValueBox<Bool?>(nil)
        proxy.pool.waitUntilDrained("a", deadline: proxy.loop.now + .seconds(5)).whenSuccess { value in result.withLockedValue { $0 = value } }
        proxy.loop.advanceTime(by: .seconds(4))
        #expect(result.withLockedValue { $0 } == nil)
        proxy.loop.advanceTime(by: .seconds(1))
        #expect(result.withLockedValue { $0 } == false)
        // Giving up does not cut the request: it completes once the backend answers.
        try #require(proxy.connection(to: "a")).receive(Self.ok)
        #expect(try client.written().hasPrefix("HTTP/1.1 200 OK"))
    }

    @Test func quiescingClosesIdleClientsAtOnceAndBusyOnesAfterTheirResponse() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let idle = proxy.client()
        let busy = proxy.client()
        try busy.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let done = NIOLockedValueBox(false)
        proxy.pool.quiesce(deadline: proxy.loop.now + .seconds(30)).whenSuccess { done.withLockedValue { $0 = true } }
        #expect(!idle.isActive)
        #expect(busy.isActive && !done.withLockedValue { $0 })
        try #require(proxy.connection(to: "a")).receive(Self.ok)
        #expect(try busy.written().contains("Connection: close\r\n"))
        #expect(!busy.isActive && done.withLockedValue { $0 })
    }

    @Test func quiescingCutsWhatIsLeftAtTheDeadline() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let busy = proxy.client()
        try busy.receive("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let done = NIOLockedValueBox(false)
        proxy.pool.quiesce(deadline: proxy.loop.now + .seconds(10)).whenSuccess { done.withLockedValue { $0 = true } }
        proxy.loop.advanceTime(by: .seconds(9))
        #expect(busy.isActive)
        proxy.loop.advanceTime(by: .seconds(1))
        #expect(!busy.isActive && done.withLockedValue { $0 })
    }

    @Test func aMalformedRequestGets400AndTheClose() throws {
        let proxy = EmbeddedProxy(backends: ["a"])
        let client = proxy.client()
        try? client.receive("GET / HTTP/1.1\r\nBad Header\r\n\r\n")
        #expect(try client.written().hasPrefix("HTTP/1.1 400 Bad Request"))
        #expect(!client.isActive)
        #expect(proxy.connections.isEmpty)
    }
}
