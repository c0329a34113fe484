import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The routes and backend sets shared by all event loops: replaced whole by
/// ``ReverseProxy/setRoutes(_:backends:)``, compared by generation on every request.
struct BackendSnapshot: Sendable {
    /// The service name ``ReverseProxy/setBackends(_:)`` routes every request to.
    static let singleService = ""

    var generation: UInt64 = 0
    var routes = RouteTable(defaultService: singleService)
    /// Each service's backends, each backend once per service.
    var services: [String: [Backend]] = [:]

    /// Every backend of every service, each once (services in name order).
    var backends: [Backend] {
        var seen = Set<Backend>()
        return services.keys.sorted().flatMap { services[$0]! }.filter { seen.insert($0).inserted }
    }
}

/// One service's backends as seen by one event loop, with its round-robin cursor.
final class ServiceSlots {
    var slots: [BackendSlot] = []
    var cursor = 0
}

/// Everything one event loop needs to serve its client connections: its view of the backends,
/// their keep-alive connections, balancing state, its clients (for shutdown) and its counters.
///
/// Confined to `eventLoop`: every entry point is called from a channel handler or a task on that
/// loop, and ``ReverseProxy`` holds it in a `NIOLoopBoundBox`, which checks that. A client
/// connection and its backend connections therefore live on the same thread, and forwarding a
/// part is a direct call. Only `counters` is read from other threads (behind its lock).
final class EventLoopPool {
    let eventLoop: any EventLoop
    let configuration: ProxyConfiguration
    /// Written once per finished request on this loop, read by ``ReverseProxy/stats``.
    let counters = NIOLockedValueBox(ProxyStats())

    private let shared: NIOLockedValueBox<BackendSnapshot>
    private let connector: BackendConnector
    private let cooldown: TimeAmount

    private var generation: UInt64 = 0
    /// Every backend of every service, once.
    private var slots: [BackendSlot] = []
    private var routes = RouteTable(defaultService: BackendSnapshot.singleService)
    /// Each service's share of `slots`.
    private var services: [String: ServiceSlots] = [:]
    /// Removed backends that still have requests in flight here.
    private var retired: [BackendSlot] = []
    private var frontends: [ObjectIdentifier: FrontendHandler] = [:]
    private var drainWaiters: [DrainWaiter] = []
    private(set) var isQuiescing = false
    private var quiescePromise: EventLoopPromise<Void>?

    private final class DrainWaiter {
        let backendID: String
        let promise: EventLoopPromise<Bool>
        var timer: Scheduled<Void>?
        init(backendID: String, promise: EventLoopPromise<Bool>) {
            self.backendID = backendID
            self.promise = promise
        }
    }

    /// Opens a channel to a backend (its address when the host is an IP literal) whose pipeline
    /// ends in a ``BackendConnection``, on this pool's event loop. Sockets by default; tests give
    /// `EmbeddedChannel`s.
    typealias BackendConnector = (_ backend: Backend, _ address: SocketAddress?) -> EventLoopFuture<any Channel>

    init(eventLoop: any EventLoop, configuration: ProxyConfiguration, shared: NIOLockedValueBox<BackendSnapshot>,
         connector: BackendConnector? = nil) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.shared = shared
        self.cooldown = TimeAmount(configuration.connectFailureCooldown)
        self.connector = connector ?? Self.socketConnector(eventLoop: eventLoop, configuration: configuration)
    }

    private static func socketConnector(eventLoop: any EventLoop, configuration: ProxyConfiguration) -> BackendConnector {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // No HTTP codec: requests are written as bytes, responses framed as bytes.
                    try channel.pipeline.syncOperations.addHandler(BackendConnection())
                }
            }
        return { backend, address in
            if let address { return bootstrap.connect(to: address) }
            return bootstrap.connect(host: backend.host, port: backend.port)
        }
    }

    // MARK: Backend set

    /// Brings this loop's view up to date with the shared routes and backends (one uncontended lock).
    func refresh() {
        eventLoop.assertInEventLoop()
        let generation = self.generation
        guard let snapshot = shared.withLockedValue({ $0.generation == generation ? nil : $0 }) else { return }
        self.generation = snapshot.generation
        var previous = slots
        var next: [BackendSlot] = []
        next.reserveCapacity(snapshot.backends.count)
        for backend in snapshot.backends {
            if let index = previous.firstIndex(where: { $0.backend == backend }) {
                next.append(previous.remove(at: index))
            } else if let index = retired.firstIndex(where: { $0.backend == backend }) {
                let slot = retired.remove(at: index)
                slot.active = true
                next.append(slot)
            } else {
                next.append(BackendSlot(backend: backend))
            }
        }
        slots = next
        routes = snapshot.routes
        var byBackend: [Backend: BackendSlot] = [:]
        for slot in next { byBackend[slot.backend] = slot }
        var services: [String: ServiceSlots] = [:]
        for (name, backends) in snapshot.services {
            let service = self.services[name] ?? ServiceSlots()
            service.slots = backends.compactMap { byBackend[$0] }
            if service.cursor >= service.slots.count { service.cursor = 0 }
            services[name] = service
        }
        self.services = services
        for slot in previous {
            slot.active = false
            closeIdleConnections(of: slot)
            if slot.outstanding > 0 {
                retired.append(slot)
            } else {
                finishedDraining(slot.backend.id)
            }
        }
    }

    /// The service that serves a request for `uri`; `host` (the Host header) is only read when
    /// the routes have host rules. Nil: no service (the request gets 503).
    func service(uri: String, host: () -> String?) -> String? {
        routes.hostRules.isEmpty ? routes.defaultService : routes.service(host: host(), path: uri)
    }

    /// Whether `slot` may still take requests of `service`.
    func isServing(_ slot: BackendSlot, in service: String?) -> Bool {
        guard slot.active, let service, let slots = services[service]?.slots else { return false }
        return slots.contains { $0 === slot }
    }

    /// The backend of `service` for the next attempt of a request that already tried `tried`,
    /// or nil when the service has no backends at all.
    func pick(in service: String?, excluding tried: [BackendSlot]) -> BackendSlot? {
        guard let service, let serving = services[service] else { return nil }
        let slots = serving.slots
        let count = slots.count
        if count <= 1 { return slots.first }
        let start = serving.cursor
        serving.cursor = start >= count - 1 ? 0 : start + 1
        var now: NIODeadline?
        let chosen = Balancer.choose(count: count, start: start) { index in
            let slot = slots[index]
            return Balancer.Candidate(
                outstanding: slot.outstanding,
                tried: tried.contains { $0 === slot },
                coolingDown: slot.isCoolingDown {
                    if let now { return now }
                    let value = eventLoop.now
                    now = value
                    return value
                }
            )
        }
        return chosen.map { slots[$0] }
    }

    func requestStarted(on slot: BackendSlot) {
        slot.outstanding += 1
    }

    func requestFinished(on slot: BackendSlot) {
        slot.outstanding -= 1
        if !slot.active && slot.outstanding == 0, let index = retired.firstIndex(where: { $0 === slot }) {
            retired.remove(at: index)
            finishedDraining(slot.backend.id)
        }
    }

    func connectFailed(on slot: BackendSlot) {
        slot.coolDownUntil = eventLoop.now + cooldown
    }

    // MARK: Connections

    /// A pooled connection to `slot`'s backend that still looks open, if any.
    func takeIdleConnection(for slot: BackendSlot) -> BackendConnection? {
        while let connection = slot.idle.popLast() {
            if connection.isOpen { return connection }
            connection.close()
        }
        return nil
    }

    /// Opens a new connection to `slot`'s backend; `completion` runs on this loop.
    func connect(to slot: BackendSlot, completion: @escaping (Result<BackendConnection, any Error>) -> Void) {
        connector(slot.backend, slot.address).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                do {
                    let connection = try channel.pipeline.syncOperations.handler(type: BackendConnection.self)
                    connection.attach(pool: self, slot: slot)
                    slot.coolDownUntil = .uptimeNanoseconds(0)
                    completion(.success(connection))
                } catch {
                    channel.close(promise: nil)
                    completion(.failure(error))
                }
            case .failure(let error):
                completion(.failure(error))
            }
        }
    }

    /// Returns a connection whose exchange is over: pooled when it can carry another request,
    /// closed otherwise (backend said close, backend removed, pool full, shutting down).
    func release(_ connection: BackendConnection, reusable: Bool) {
        connection.exchange = nil
        guard reusable, !isQuiescing, let slot = connection.slot, slot.active, connection.isOpen,
            slot.idle.count < configuration.maxIdleConnectionsPerBackend
        else {
            connection.close()
            return
        }
        connection.setAutoRead(true)
        slot.idle.append(connection)
    }

    /// An idle pooled connection was closed by the backend.
    func idleConnectionClosed(_ connection: BackendConnection) {
        guard let slot = connection.slot, let index = slot.idle.firstIndex(where: { $0 === connection }) else { return }
        slot.idle.remove(at: index)
    }

    private func closeIdleConnections(of slot: BackendSlot) {
        let idle = slot.idle
        slot.idle.removeAll()
        for connection in idle { connection.close() }
    }

    // MARK: Draining

    /// Succeeds with true once no request to a backend called `backendID` is in flight on this
    /// loop, or with false at `deadline`. Call after the backend left the shared set.
    func waitUntilDrained(_ backendID: String, deadline: NIODeadline) -> EventLoopFuture<Bool> {
        eventLoop.assertInEventLoop()
        guard retired.contains(where: { $0.backend.id == backendID }) else {
            return eventLoop.makeSucceededFuture(true)
        }
        let waiter = DrainWaiter(backendID: backendID, promise: eventLoop.makePromise(of: Bool.self))
        drainWaiters.append(waiter)
        waiter.timer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            guard let index = drainWaiters.firstIndex(where: { $0 === waiter }) else { return }
            drainWaiters.remove(at: index)
            waiter.promise.succeed(false)
        }
        return waiter.promise.futureResult
    }

    private func finishedDraining(_ backendID: String) {
        guard !drainWaiters.isEmpty, !retired.contains(where: { $0.backend.id == backendID }) else { return }
        let done = drainWaiters.filter { $0.backendID == backendID }
        drainWaiters.removeAll { $0.backendID == backendID }
        for waiter in done {
            waiter.timer?.cancel()
            waiter.promise.succeed(true)
        }
    }

    // MARK: Clients and shutdown

    func register(_ frontend: FrontendHandler) {
        frontends[ObjectIdentifier(frontend)] = frontend
    }

    func unregister(_ frontend: FrontendHandler) {
        frontends.removeValue(forKey: ObjectIdentifier(frontend))
        if isQuiescing && frontends.isEmpty {
            finishQuiescing()
        }
    }

    /// Closes idle client connections now and the others after their current response; at
    /// `deadline`, closes whatever is left. Succeeds when no client connection remains.
    func quiesce(deadline: NIODeadline) -> EventLoopFuture<Void> {
        eventLoop.assertInEventLoop()
        isQuiescing = true
        let promise = quiescePromise ?? eventLoop.makePromise(of: Void.self)
        quiescePromise = promise
        for frontend in Array(frontends.values) { frontend.quiesce() }
        if frontends.isEmpty {
            finishQuiescing()
        } else {
            eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
                for frontend in Array(frontends.values) { frontend.forceClose() }
            }
        }
        return promise.futureResult
    }

    private func finishQuiescing() {
        for slot in slots + retired { closeIdleConnections(of: slot) }
        quiescePromise?.succeed()
        quiescePromise = nil
    }

    // MARK: Counters

    func recordResponse(from backend: Backend, retries: Int) {
        counters.withLockedValue {
            $0.requests += 1
            $0.retries += retries
            $0.perBackend[backend.id, default: 0] += 1
        }
    }

    func recordProxyResponse(_ response: ProxyErrorResponse, retries: Int) {
        counters.withLockedValue {
            $0.requests += 1
            $0.retries += retries
            if response.isProxyFailure { $0.failures += 1 }
        }
    }

    func recordAbort(retries: Int) {
        counters.withLockedValue {
            $0.requests += 1
            $0.retries += retries
            $0.aborted += 1
        }
    }
}
