import NIOCore
import NIOHTTP1
import Testing

@testable import LoadBalancer

/// Connection draining when the healthy set changes, explicit drains, and shutdown.
@Suite(.timeLimit(.minutes(1)))
struct ProxyDrainingTests {
    @Test func removedBackendFinishesItsInFlightRequest() async throws {
        try await withBackends(["old", "new"]) { backends in
            let (old, new) = (backends[0], backends[1])
            try await withProxy(backends: [old.backend]) { proxy, port in
                async let slow = TestConnection.get(port: port, "/hold")
                try await old.wait { $0.inFlight == 1 }
                proxy.setBackends([new.backend])
                for _ in 0..<5 {
                    #expect(try await TestConnection.get(port: port).text == "new")
                }
                #expect(old.counts.inFlight == 1)
                old.release()
                let response = try await slow
                #expect(response.status == .ok)
                #expect(response.text == "old")
                #expect(old.counts.requests == 1)
                #expect(proxy.stats.failures == 0)
            }
        }
    }

    @Test func drainWaitsForInFlightRequests() async throws {
        // Socket-level: a drain over real connections returns once the held request is answered.
        // Its timing (not before, and giving up at the deadline) is FrontendHandlerTests' job,
        // on virtual time.
        try await withBackends(["a", "b"]) { backends in
            try await withProxy(backends: [backends[0].backend]) { proxy, port in
                async let slow = TestConnection.get(port: port, "/hold")
                try await backends[0].wait { $0.inFlight == 1 }
                proxy.setBackends([backends[0].backend, backends[1].backend])
                async let drained = proxy.drain("a", timeout: .seconds(30))
                backends[0].release()
                #expect(await drained)
                #expect(backends[0].counts.inFlight == 0)
                #expect(proxy.backends == [backends[1].backend])
                #expect(try await slow.status == .ok)
                #expect(try await TestConnection.get(port: port).text == "b")
            }
        }
    }

    @Test func drainOfAnIdleBackendReturnsAtOnce() async throws {
        try await withBackends(["a"]) { backends in
            try await withProxy(backends: [backends[0].backend]) { proxy, port in
                let before = try await TestConnection.get(port: port)
                #expect(before.status == .ok)
                #expect(await proxy.drain("a", timeout: .seconds(5)))
                let after = try await TestConnection.get(port: port)
                #expect(after.status == .serviceUnavailable)
            }
        }
    }

    @Test func stopFinishesInFlightRequestsThenRefusesConnections() async throws {
        try await withBackends(["a"]) { backends in
            let proxy = ReverseProxy()
            proxy.setBackends([backends[0].backend])
            let port = try await proxy.start()
            async let slow = TestConnection.get(port: port, "/hold")
            try await backends[0].wait { $0.inFlight == 1 }
            // The request is in flight when the stop begins; it is answered during the stop.
            async let stopped: Void = proxy.stop(gracePeriod: .seconds(30))
            while !(await proxy.isQuiescing) { await Task.yield() }
            backends[0].release()
            try await stopped
            let response = try await slow
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "connection") == "close")
            await #expect(throws: (any Error).self) {
                _ = try await TestConnection.get(port: port)
            }
            #expect(proxy.port == nil)
        }
    }
}
