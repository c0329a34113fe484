import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Testing

@testable import LoadBalancer

/// Dead, slow and impolite backends: retries, 502, 503, 504, and stale keep-alive connections.
@Suite(.timeLimit(.minutes(1)))
struct ProxyFailureTests {
    @Test func getsSurviveABackendStoppingMidway() async throws {
        try await withBackends(["a", "b"]) { backends in
            try await withProxy(backends: backends.map(\.backend)) { proxy, port in
                let completed = NIOLockedValueBox(0)
                let failed = NIOLockedValueBox(0)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            try await TestConnection.with(port: port) { connection in
                                for _ in 0..<50 {
                                    let response = try await connection.request()
                                    if response.status != .ok { failed.withLockedValue { $0 += 1 } }
                                    completed.withLockedValue { $0 += 1 }
                                }
                            }
                        }
                    }
                    group.addTask {
                        while completed.withLockedValue({ $0 }) < 100 { try await Task.sleep(for: .milliseconds(1)) }
                        await backends[1].stop()
                    }
                    try await group.waitForAll()
                }
                #expect(completed.withLockedValue { $0 } == 200)
                #expect(failed.withLockedValue { $0 } == 0)
                #expect(proxy.stats.failures == 0)
                #expect(proxy.stats.perBackend.values.reduce(0, +) == 200)
            }
        }
    }

    @Test func getToADeadBackendIsRetriedOnAnother() async throws {
        let dead = try await TestBackend.deadBackend("dead")
        try await withBackends(["live"]) { backends in
            var configuration = ProxyConfiguration()
            configuration.connectFailureCooldown = .seconds(60)
            try await withProxy(configuration, backends: [dead, backends[0].backend]) { proxy, port in
                try await TestConnection.with(port: port) { connection in
                    for _ in 0..<10 {
                        let response = try await connection.request()
                        #expect(response.status == .ok)
                        #expect(response.text == "live")
                    }
                }
                // The first request went to the dead backend first; then it was cooling down.
                #expect(proxy.stats.retries == 1)
                #expect(proxy.stats.failures == 0)
            }
        }
    }

    @Test func postToADeadBackendMovesToAnotherSinceNothingWasSent() async throws {
        let dead = try await TestBackend.deadBackend("dead")
        try await withBackends(["live"]) { backends in
            // A fresh proxy sends its first request to the first backend.
            try await withProxy(backends: [dead, backends[0].backend]) { proxy, port in
                let response = try await TestConnection.with(port: port) { connection in
                    try await connection.request(.POST, "/", body: ByteBuffer(string: "order"))
                }
                #expect(response.status == .ok)
                #expect(response.text == "live 5", "the live backend got the 5-byte body")
                #expect(backends[0].counts.requests == 1)
                #expect(proxy.stats.retries == 1)
                #expect(proxy.stats.failures == 0)
            }
        }
    }

    @Test func backendHangingUpBeforeAnswering() async throws {
        var hangUp = TestBackend.Behaviour()
        hangUp.hangUpAlways = true
        let rude = try await TestBackend.start("rude", behaviour: hangUp)
        defer { Task { await rude.stop() } }
        try await withBackends(["live"]) { backends in
            try await withProxy(backends: [rude.backend, backends[0].backend]) { proxy, port in
                let response = try await TestConnection.with(port: port) { connection in
                    try await connection.request(.POST, "/", body: ByteBuffer(string: "x"))
                }
                #expect(response.status == .badGateway)
                #expect(backends[0].counts.requests == 0)
            }
            try await withProxy(backends: [rude.backend, backends[0].backend]) { proxy, port in
                let response = try await TestConnection.get(port: port)
                #expect(response.status == .ok)
                #expect(response.text == "live")
                #expect(proxy.stats.retries == 1)
            }
        }
    }

    @Test func allBackendsDeadGives502AfterRetries() async throws {
        let dead = [try await TestBackend.deadBackend("d1"), try await TestBackend.deadBackend("d2")]
        try await withProxy(backends: dead) { proxy, port in
            let response = try await TestConnection.get(port: port)
            #expect(response.status == .badGateway)
            #expect(proxy.stats.retries == 2)
            #expect(proxy.stats.failures == 1)
        }
    }

    @Test func noBackendsGives503() async throws {
        try await withProxy(backends: []) { proxy, port in
            try await TestConnection.with(port: port) { connection in
                for _ in 0..<2 {
                    let response = try await connection.request()
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.text.contains("no healthy backends"))
                }
            }
            #expect(proxy.stats.failures == 2)
        }
    }

    @Test func backendClosingRightAfterEachResponse() async throws {
        var behaviour = TestBackend.Behaviour()
        behaviour.closeAfterResponse = true
        try await withBackends(["a", "b"], behaviour: behaviour) { backends in
            try await withProxy(backends: backends.map(\.backend)) { proxy, port in
                try await TestConnection.with(port: port) { connection in
                    for _ in 0..<40 {
                        let get = try await connection.request(.GET)
                        #expect(get.status == .ok)
                        let post = try await connection.request(.POST, "/", body: ByteBuffer(string: "p"))
                        #expect(post.status == .ok)
                    }
                }
                #expect(proxy.stats.failures == 0)
            }
        }
    }

    @Test func keepAliveRaceIsResentOnAFreshConnection() async throws {
        var behaviour = TestBackend.Behaviour()
        behaviour.hangUpOnReusedConnection = true
        try await withBackends(["racy"], behaviour: behaviour) { backends in
            try await withProxy(backends: [backends[0].backend]) { proxy, port in
                try await TestConnection.with(port: port) { connection in
                    for _ in 0..<10 {
                        let get = try await connection.request(.GET)
                        #expect(get.status == .ok)
                        let post = try await connection.request(.POST, "/", body: ByteBuffer(string: "p"))
                        #expect(post.text == "racy 1")
                    }
                }
                // Every GET but the first met a pooled connection the backend then dropped; a POST
                // never takes a pooled connection, so it never meets the race.
                #expect(proxy.stats.retries == 9)
                #expect(proxy.stats.failures == 0)
                #expect(backends[0].counts.requests == 20)
            }
        }
    }
}
