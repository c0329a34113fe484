import NIOHTTP1
import Testing

@testable import LoadBalancer

@Suite struct BalancerTests {
    private func choose(_ candidates: [Balancer.Candidate], start: Int = 0) -> Int? {
        Balancer.choose(count: candidates.count, start: start) { candidates[$0] }
    }

    private func c(_ outstanding: Int, tried: Bool = false, cooling: Bool = false) -> Balancer.Candidate {
        Balancer.Candidate(outstanding: outstanding, tried: tried, coolingDown: cooling)
    }

    @Test func tiesRotateWithTheCursor() {
        let all = [c(0), c(0), c(0)]
        #expect((0..<6).map { choose(all, start: $0) } == [0, 1, 2, 0, 1, 2])
    }

    @Test func leastOutstandingWins() {
        #expect(choose([c(3), c(1), c(2)]) == 1)
        #expect(choose([c(3), c(1), c(1)], start: 2) == 2)
    }

    @Test func untriedAndHealthyFirst() {
        #expect(choose([c(0, tried: true), c(5)]) == 1)
        #expect(choose([c(0, cooling: true), c(5)]) == 1)
        #expect(choose([c(0, tried: true), c(9, cooling: true)]) == 1)
        #expect(choose([c(2, tried: true), c(1, tried: true)]) == 1)
    }

    @Test func emptyGivesNil() {
        #expect(choose([]) == nil)
    }
}

@Suite struct RetryPolicyTests {
    @Test func staleKeepAliveConnectionIsResentOnceForIdempotentRequests() {
        #expect(RetryPolicy.decide(.closedBeforeResponse(reusedConnection: true), idempotent: true,
                                   retriesLeft: 0, alreadyRetriedStale: false) == .freshConnectionSameBackend)
        #expect(RetryPolicy.decide(.closedBeforeResponse(reusedConnection: true), idempotent: true,
                                   retriesLeft: 0, alreadyRetriedStale: true) == .fail)
        #expect(RetryPolicy.decide(.closedBeforeResponse(reusedConnection: true), idempotent: false,
                                   retriesLeft: 2, alreadyRetriedStale: false) == .fail)
    }

    @Test func nothingSentMovesAnyRequestToAnotherBackend() {
        for idempotent in [true, false] {
            #expect(RetryPolicy.decide(.connect, idempotent: idempotent, retriesLeft: 1, alreadyRetriedStale: false) == .anotherBackend)
            #expect(RetryPolicy.decide(.connect, idempotent: idempotent, retriesLeft: 0, alreadyRetriedStale: false) == .fail)
        }
    }

    @Test func sentRequestsMoveOnlyWhenIdempotentAndUnanswered() {
        #expect(RetryPolicy.decide(.closedBeforeResponse(reusedConnection: false), idempotent: true,
                                   retriesLeft: 2, alreadyRetriedStale: false) == .anotherBackend)
        #expect(RetryPolicy.decide(.closedBeforeResponse(reusedConnection: false), idempotent: false,
                                   retriesLeft: 2, alreadyRetriedStale: false) == .fail)
        #expect(RetryPolicy.decide(.closedMidResponse, idempotent: true, retriesLeft: 2, alreadyRetriedStale: false) == .fail)
    }

    @Test func idempotentMethods() {
        #expect([HTTPMethod.GET, .HEAD, .PUT, .DELETE, .OPTIONS, .TRACE].allSatisfy(RetryPolicy.isIdempotent))
        #expect(![HTTPMethod.POST, .PATCH, .CONNECT].contains(where: RetryPolicy.isIdempotent))
    }
}

@Suite struct HeaderRewriterTests {
    @Test func requestHeaders() {
        let original = HTTPHeaders([
            ("Host", "example.com"),
            ("connection", "Keep-Alive, X-Hop"),
            ("X-Hop", "1"),
            ("Keep-Alive", "timeout=5"),
            ("Transfer-Encoding", "chunked"),
            ("x-forwarded-for", "10.0.0.1"),
            ("X-Forwarded-For", "10.0.0.2"),
            ("X-Forwarded-Proto", "https"),
            ("Via", "1.0 fred"),
            ("Expect", "100-continue"),
            ("Upgrade", "websocket"),
            ("Accept", "*/*"),
        ])
        let rewritten = HeaderRewriter.request(original, clientAddress: "192.0.2.1", via: "1.1 sortie")
        #expect(rewritten.expectsContinue)
        #expect(rewritten.hasHost)
        #expect(rewritten.wasChunked)
        #expect(!rewritten.hasContentLength)
        #expect(rewritten.headers.map { "\($0.name): \($0.value)" } == [
            "Host: example.com",
            "Accept: */*",
            "X-Forwarded-For: 10.0.0.1, 10.0.0.2, 192.0.2.1",
            "X-Forwarded-Proto: http",
            "Via: 1.0 fred, 1.1 sortie",
        ])
    }

    @Test func commonCasesKeepTheOriginalOrder() {
        let request = HeaderRewriter.request(HTTPHeaders([("Host", "a"), ("Accept", "*/*")]), clientAddress: "127.0.0.1", via: "1.1 sortie")
        #expect(request.headers.map { "\($0.name): \($0.value)" } == [
            "Host: a", "Accept: */*", "X-Forwarded-For: 127.0.0.1", "X-Forwarded-Proto: http", "Via: 1.1 sortie",
        ])
    }

    @Test func caseInsensitiveNames() {
        #expect("Transfer-Encoding".equalsLowercaseASCII("transfer-encoding"))
        #expect("TE".equalsLowercaseASCII("te"))
        #expect(!"TEX".equalsLowercaseASCII("te"))
        #expect(!"t{".equalsLowercaseASCII("t["))
        #expect(HeaderRewriter.classify("PROXY-CONNECTION") == .hopByHop)
        #expect(HeaderRewriter.classify("X-Forwarded-Proto") == .forwardedProto)
        #expect(HeaderRewriter.classify("Content-Type") == .other)
    }
}
