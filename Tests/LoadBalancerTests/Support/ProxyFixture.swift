import LoadBalancer
import NIOCore

/// Runs `body` against a started proxy in front of `backends`, then stops the proxy.
func withProxy<Result: Sendable>(
    _ configuration: ProxyConfiguration = ProxyConfiguration(),
    backends: [Backend],
    _ body: (ReverseProxy, Int) async throws -> Result
) async throws -> Result {
    let proxy = ReverseProxy(configuration: configuration)
    proxy.setBackends(backends)
    let port = try await proxy.start()
    do {
        let result = try await body(proxy, port)
        try await proxy.stop(gracePeriod: .seconds(2))
        return result
    } catch {
        try? await proxy.stop(gracePeriod: .seconds(2))
        throw error
    }
}

func stopAll(_ backends: [TestBackend]) async {
    for backend in backends { await backend.stop() }
}

/// Runs `body` with backends started under `ids` (all with `behaviour`), then stops them.
func withBackends<Result: Sendable>(
    _ ids: [String],
    behaviour: TestBackend.Behaviour = TestBackend.Behaviour(),
    _ body: ([TestBackend]) async throws -> Result
) async throws -> Result {
    var backends: [TestBackend] = []
    for id in ids { backends.append(try await TestBackend.start(id, behaviour: behaviour)) }
    do {
        let result = try await body(backends)
        await stopAll(backends)
        return result
    } catch {
        await stopAll(backends)
        throw error
    }
}
