import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The HTTP/1.1 reverse proxy opened for one global forwarding rule, in front of the healthy
/// instances of the backend services' instance groups.
///
/// - Routing: a ``RouteTable`` (the URL map) picks the service of each request by host and path;
///   the request and its retries go to that service's backends (``setRoutes(_:backends:)``), or
///   all requests to one set (``setBackends(_:)``).
/// - Clients: persistent connections (HTTP/1.1 keep-alive; pipelined requests are answered in
///   order, one at a time), closed after ``ProxyConfiguration/clientIdleTimeout`` idle.
/// - Backends: each event loop keeps its own pool of keep-alive connections per backend, so a
///   request is served start to finish on the thread that accepted its client (no hops, no locks
///   besides one read of the backend set and one counter update per request).
/// - Balancing: least outstanding requests per event loop, ties broken round-robin (see
///   ``Balancer``); a backend whose connect just failed is avoided for a second.
/// - Failures: see ``RetryPolicy``; 502 when no backend answered, 503 with no backends, 504 past
///   ``ProxyConfiguration/backendTimeout``.
/// - Headers: see ``HeaderRewriter``. Request bodies are buffered (up to
///   ``ProxyConfiguration/maxRequestBodySize``) so they can be retried; responses are streamed.
/// - Not supported: protocol upgrades (WebSocket), HTTP/2, TLS.
public final class ReverseProxy: Sendable {
    public let configuration: ProxyConfiguration
    private let group: any EventLoopGroup
    /// Each event loop's pool, usable only on its loop (`NIOLoopBoundBox` checks it).
    private let pools: [ObjectIdentifier: NIOLoopBoundBox<EventLoopPool>]
    private let poolList: [NIOLoopBoundBox<EventLoopPool>]
    /// Each pool's counters, the one part read from other threads.
    private let counters: [NIOLockedValueBox<ProxyStats>]
    private let backendSet: NIOLockedValueBox<BackendSnapshot>
    private let lifecycle = NIOLockedValueBox(Lifecycle.idle)

    private enum Lifecycle {
        case idle
        case starting
        case running(any Channel, port: Int)
        case stopped
    }

    public init(
        configuration: ProxyConfiguration = ProxyConfiguration(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.group = group
        let backendSet = NIOLockedValueBox(BackendSnapshot())
        self.backendSet = backendSet
        var pools: [ObjectIdentifier: NIOLoopBoundBox<EventLoopPool>] = [:]
        var poolList: [NIOLoopBoundBox<EventLoopPool>] = []
        var counters: [NIOLockedValueBox<ProxyStats>] = []
        for eventLoop in group.makeIterator() {
            let pool = EventLoopPool(eventLoop: eventLoop, configuration: configuration, shared: backendSet)
            counters.append(pool.counters)
            // Made here, off its loop, and handed over whole: from now on touched only on it.
            let bound = NIOLoopBoundBox.makeBoxSendingValue(pool, eventLoop: eventLoop)
            pools[ObjectIdentifier(eventLoop)] = bound
            poolList.append(bound)
        }
        self.pools = pools
        self.poolList = poolList
        self.counters = counters
    }

    /// Starts listening on ``ProxyConfiguration/host`` and returns the bound port.
    public func start() async throws -> Int {
        try lifecycle.withLockedValue { state in
            guard case .idle = state else { throw ReverseProxyError.alreadyStarted }
            state = .starting
        }
        let pools = self.pools
        let configuration = self.configuration
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(clamping: configuration.backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // A client that half-closes after its request still gets the response.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let pool = pools[ObjectIdentifier(channel.eventLoop)]?.value else {
                        throw ReverseProxyError.unknownEventLoop
                    }
                    // The request decoder only: FrontendHandler writes responses as bytes (the
                    // backend's, framed, or its own), serialises pipelined requests and answers
                    // malformed ones itself (NIO's pipelining handler would stop and restart
                    // reading around every request: two epoll_ctl calls each).
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try channel.pipeline.syncOperations.addHandler(FrontendHandler(pool: pool))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            lifecycle.withLockedValue { $0 = .idle }
            throw error
        }
        let port = channel.localAddress?.port ?? configuration.port
        lifecycle.withLockedValue { $0 = .running(channel, port: port) }
        return port
    }

    /// The bound port while running.
    public var port: Int? {
        lifecycle.withLockedValue {
            if case .running(_, let port) = $0 { return port }
            return nil
        }
    }

    /// The current healthy set: every backend of every service, each once.
    public var backends: [Backend] {
        backendSet.withLockedValue { $0.backends }
    }

    /// The current routes and each service's healthy set.
    public var routes: (table: RouteTable, backends: [String: [Backend]]) {
        backendSet.withLockedValue { ($0.routes, $0.services) }
    }

    /// Replaces the healthy set of the single service every request goes to. Requests dispatched
    /// after this returns only go to `backends`; requests in flight on a removed backend complete
    /// (connection draining), and its idle connections are closed.
    public func setBackends(_ backends: [Backend]) {
        setRoutes(RouteTable(defaultService: BackendSnapshot.singleService), backends: [BackendSnapshot.singleService: backends])
    }

    /// Replaces the routes and the healthy set of each service: a request goes to a backend of the
    /// service `table` chooses for it (503 when that service has no backend, or is not in
    /// `backends`), and its retries stay within that service. A backend may serve several
    /// services (it then shares one connection pool); one removed from every service drains as
    /// with ``setBackends(_:)``.
    public func setRoutes(_ table: RouteTable, backends: [String: [Backend]]) {
        var services: [String: [Backend]] = [:]
        for (service, list) in backends {
            var seen = Set<Backend>()
            services[service] = list.filter { seen.insert($0).inserted }
        }
        backendSet.withLockedValue {
            $0.generation += 1
            $0.routes = table
            $0.services = services
        }
        for pool in poolList {
            pool.eventLoop.execute { pool.value.refresh() }
        }
    }

    /// Removes the backend called `backendID` from every service (no new requests go to it) and waits
    /// until its in-flight requests have finished, or `timeout` has passed. Requests still running
    /// then are left alone (the caller is about to stop the instance anyway). Returns true when
    /// nothing was left in flight.
    @discardableResult
    public func drain(_ backendID: String, timeout: Duration) async -> Bool {
        backendSet.withLockedValue { set in
            guard set.backends.contains(where: { $0.id == backendID }) else { return }
            for service in set.services.keys { set.services[service]!.removeAll { $0.id == backendID } }
            set.generation += 1
        }
        guard let first = poolList.first else { return true }
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let waits = poolList.map { pool in
            pool.eventLoop.flatSubmit {
                pool.value.refresh()
                return pool.value.waitUntilDrained(backendID, deadline: deadline)
            }
        }
        let results = try? await EventLoopFuture.whenAllSucceed(waits, on: first.eventLoop).get()
        return results?.allSatisfy { $0 } ?? false
    }

    /// Whether every event loop has begun shutting down its clients (``stop(gracePeriod:)``).
    var isQuiescing: Bool {
        get async {
            for pool in poolList {
                guard (try? await pool.eventLoop.submit({ pool.value.isQuiescing }).get()) == true else { return false }
            }
            return true
        }
    }

    /// Counters since creation, summed over event loops.
    public var stats: ProxyStats {
        var total = ProxyStats()
        for counter in counters {
            total.add(counter.withLockedValue { $0 })
        }
        return total
    }

    /// Stops accepting connections, lets in-flight requests finish (for at most `gracePeriod`,
    /// after which remaining client connections are closed), closes idle client and backend
    /// connections, and returns when no client connection is left.
    public func stop(gracePeriod: Duration = .seconds(30)) async throws {
        let listener: (any Channel)? = lifecycle.withLockedValue { state in
            defer { state = .stopped }
            if case .running(let channel, _) = state { return channel }
            return nil
        }
        if let listener {
            try? await listener.close()
        }
        guard let first = poolList.first else { return }
        let deadline = NIODeadline.now() + TimeAmount(gracePeriod)
        let quiesced = poolList.map { pool in
            pool.eventLoop.flatSubmit { pool.value.quiesce(deadline: deadline) }
        }
        try await EventLoopFuture.andAllSucceed(quiesced, on: first.eventLoop).get()
    }
}

/// Errors of ``ReverseProxy``'s lifecycle.
public enum ReverseProxyError: Error, Equatable {
    /// ``ReverseProxy/start()`` was called twice, or after ``ReverseProxy/stop(gracePeriod:)``.
    case alreadyStarted
    /// A client connection landed on an event loop outside the proxy's group.
    case unknownEventLoop
}
