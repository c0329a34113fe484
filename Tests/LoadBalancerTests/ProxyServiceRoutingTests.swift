import NIOCore
import NIOHTTP1
import Testing

@testable import LoadBalancer

/// A proxy in front of two services: requests go to the service the route table chooses by host
/// and path, retries stay within it, and a backend leaving one service keeps serving the other.
@Suite(.timeLimit(.minutes(1)))
struct ProxyServiceRoutingTests {
    /// Service "A" by default and for `a.test`; "B" for `b.test`, and under `/v2/` on `test.local`.
    static let table = RouteTable(
        defaultService: "A",
        hostRules: [
            .init(hosts: ["b.test"], pathMatcher: "b-host"),
            .init(hosts: ["test.local"], pathMatcher: "local"),
        ],
        pathMatchers: [
            "b-host": .init(defaultService: "B"),
            "local": .init(defaultService: "A", pathRules: [.init(paths: ["/v2/*"], service: "B")]),
        ])

    @Test func routesByHostAndByPathOnOneConnection() async throws {
        try await withBackends(["a1", "a2", "b1"]) { backends in
            try await withProxy(backends: []) { proxy, port in
                proxy.setRoutes(Self.table, backends: ["A": [backends[0].backend, backends[1].backend], "B": [backends[2].backend]])
                // (uri, Host) → the backend that must answer, all on one keep-alive connection.
                let expected: [(String, String, String)] = [
                    ("/", "test.local", "a"), ("/v2/items?x=1", "test.local", "b1"), ("/v2", "test.local", "a"),
                    ("/", "b.test", "b1"), ("/", "B.TEST:8080", "b1"), ("/v2/items", "other.test", "a"),
                ]
                let answers = try await TestConnection.with(port: port) { connection in
                    var answers: [String] = []
                    for _ in 0..<3 {
                        for (uri, host, _) in expected {
                            answers.append(try await connection.request(.GET, uri, host: host).text)
                        }
                    }
                    return answers
                }
                for (i, answer) in answers.enumerated() {
                    let (uri, host, backend) = expected[i % expected.count]
                    #expect(answer.hasPrefix(backend), "\(host) \(uri)")
                }
                // Service A's 9 requests rotate over its two backends; B's 9 all go to b1.
                #expect(Set([backends[0].counts.requests, backends[1].counts.requests]) == [4, 5])
                #expect(backends[2].counts.requests == 9)
                #expect(Set(proxy.backends) == Set(backends.map(\.backend)))
            }
        }
    }

    @Test func aServiceWithoutBackendsGets503WhileTheOtherServes() async throws {
        try await withBackends(["a1"]) { backends in
            try await withProxy(backends: []) { proxy, port in
                proxy.setRoutes(Self.table, backends: ["A": [backends[0].backend], "B": []])
                #expect(try await TestConnection.get(port: port, "/v2/x").status == .serviceUnavailable)
                #expect(try await TestConnection.get(port: port, "/").text == "a1")
                // A service the table names but that has no backend set at all.
                proxy.setRoutes(Self.table, backends: ["A": [backends[0].backend]])
                #expect(try await TestConnection.get(port: port, "/v2/x").status == .serviceUnavailable)
                // A table with no default service: unmatched hosts have no service.
                proxy.setRoutes(RouteTable(defaultService: nil, hostRules: Self.table.hostRules, pathMatchers: Self.table.pathMatchers),
                                backends: ["A": [backends[0].backend]])
                #expect(try await TestConnection.get(port: port, "/").text == "a1")
                let unrouted = try await TestConnection.with(port: port) { try await $0.request(.GET, "/", host: "other.test") }
                #expect(unrouted.status == .serviceUnavailable)
            }
        }
    }

    @Test func retriesStayWithinTheChosenService() async throws {
        let dead = try await TestBackend.deadBackend("dead")
        try await withBackends(["b1"]) { backends in
            try await withProxy(backends: []) { proxy, port in
                proxy.setRoutes(Self.table, backends: ["A": [dead], "B": [backends[0].backend]])
                let response = try await TestConnection.get(port: port, "/")
                #expect(response.status == .badGateway)
                #expect(backends[0].counts.requests == 0)
                #expect(try await TestConnection.get(port: port, "/v2/x").text == "b1")
            }
        }
    }

    @Test func backendLeavingOneServiceKeepsServingTheOther() async throws {
        try await withBackends(["shared", "a2"]) { backends in
            let (shared, a2) = (backends[0], backends[1])
            try await withProxy(backends: []) { proxy, port in
                proxy.setRoutes(Self.table, backends: ["A": [shared.backend], "B": [shared.backend]])
                async let held = TestConnection.with(port: port) { try await $0.request(.GET, "/hold", host: "b.test") }
                try await shared.wait { $0.inFlight == 1 }
                // Leaves A, stays in B: not drained; its in-flight B request is answered.
                proxy.setRoutes(Self.table, backends: ["A": [a2.backend], "B": [shared.backend]])
                #expect(try await TestConnection.get(port: port, "/").text == "a2")
                #expect(try await TestConnection.get(port: port, "/v2/x").text == "shared")
                #expect(proxy.backends.contains(shared.backend))
                // Leaves every service: drains (its in-flight request still completes).
                proxy.setRoutes(Self.table, backends: ["A": [a2.backend], "B": [a2.backend]])
                #expect(try await TestConnection.get(port: port, "/v2/x").text == "a2")
                #expect(proxy.backends == [a2.backend])
                shared.release()
                let response = try await held
                #expect(response.status == .ok)
                #expect(response.text == "shared")
                #expect(proxy.stats.failures == 0)
            }
        }
    }

    @Test func drainRemovesABackendFromEveryService() async throws {
        try await withBackends(["shared", "other"]) { backends in
            try await withProxy(backends: []) { proxy, port in
                proxy.setRoutes(Self.table, backends: ["A": [backends[0].backend, backends[1].backend], "B": [backends[0].backend]])
                let drained = await proxy.drain("shared", timeout: .seconds(5))
                #expect(drained)
                #expect(proxy.routes.backends == ["A": [backends[1].backend], "B": []])
                let a = try await TestConnection.get(port: port, "/")
                #expect(a.text == "other")
                let b = try await TestConnection.get(port: port, "/v2/x")
                #expect(b.status == .serviceUnavailable)
            }
        }
    }
}
