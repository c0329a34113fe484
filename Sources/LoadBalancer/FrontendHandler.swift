import NIOCore
import NIOHTTP1

/// Serves one client connection: the last handler of a pipeline whose only other handler is NIO's
/// request decoder (see ``ReverseProxy/start()``). What happens is decided by a
/// ``FrontendStateMachine``; this handler performs its actions: it rewrites and buffers requests,
/// picks backends and connections through its ``EventLoopPool``, and writes responses as bytes
/// (the backend's head rewritten by ``ResponseHeadWriter`` and its body as framed by
/// ``ResponseFramer``, never decoded and re-encoded; flushed once per read burst; the backend is
/// not read while the client cannot take more).
///
/// One timer per connection covers both the backend timeout of the current request and the idle
/// timeout: it is re-armed lazily when it fires, so a request normally schedules nothing. Times
/// come from the event loop's clock, so tests on an `EmbeddedEventLoop` advance them by hand.
final class FrontendHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private let pool: EventLoopPool
    private let configuration: ProxyConfiguration
    private let backendTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var machine: FrontendStateMachine
    private var context: ChannelHandlerContext?
    private var activated = false
    private var clientAddress = "unknown"

    // The current request's data (its fate is the machine's).
    private var forwardedHead: HTTPRequestHead?
    private var needsHost = false
    private var setContentLength = false
    private var body: ByteBuffer?
    /// The service the route table chose for the current request; its retries stay within it.
    private var service: String?

    // The current attempt's objects.
    private var tried: [BackendSlot] = []
    private var slot: BackendSlot?
    /// The backend of the last attempt that ended (a stale connection is retried on it).
    private var previousSlot: BackendSlot?
    private var connection: BackendConnection?
    /// Bumped whenever an attempt is abandoned, so a late connect is recognised.
    private var attempt: UInt64 = 0
    /// Response bytes written to the client since the last flush.
    private var unflushed = false

    // Timing.
    private var requestDeadline: NIODeadline?
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)
    private var timer: NIOScheduledCallback?
    private var timerDeadline = NIODeadline.distantFuture

    init(pool: EventLoopPool) {
        self.pool = pool
        self.configuration = pool.configuration
        self.backendTimeout = TimeAmount(pool.configuration.backendTimeout)
        self.idleTimeout = TimeAmount(pool.configuration.clientIdleTimeout)
        self.machine = FrontendStateMachine(maxBodySize: pool.configuration.maxRequestBodySize,
                                            retries: pool.configuration.retries)
    }

    // MARK: Client events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { activate(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        activate(context: context)
        context.fireChannelActive()
    }

    private func activate(context: ChannelHandlerContext) {
        guard !activated else { return }
        activated = true
        clientAddress = context.channel.remoteAddress?.ipAddress ?? "unknown"
        pool.register(self)
        if pool.isQuiescing {
            // Accepted while shutting down: one request, then the close.
            machine = FrontendStateMachine(maxBodySize: configuration.maxRequestBodySize, retries: configuration.retries,
                                           quiescing: true)
        }
        lastActivity = context.eventLoop.now
        armTimer(at: lastActivity + idleTimeout)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch machine.clientRead(part) {
        case .handle:
            handle(part, context: context)
        case .queued(let pauseReading):
            if pauseReading { try? context.channel.syncOptions?.setOption(.autoRead, value: false) }
        case .ignore:
            break
        }
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            guard machine.state == .idle else { return }
            lastActivity = context.eventLoop.now
            body = nil
            let rewritten = HeaderRewriter.request(head.headers, clientAddress: clientAddress, via: configuration.via)
            forwardedHead = HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: rewritten.headers)
            needsHost = !rewritten.hasHost
            setContentLength = rewritten.wasChunked
                || (!rewritten.hasContentLength && head.method != .GET && head.method != .HEAD)
            perform(machine.requestHead(method: head.method, minorVersion: head.version.major > 1 ? 1 : head.version.minor,
                                        keepAlive: head.isKeepAlive, expectsContinue: rewritten.expectsContinue))
        case .body(var buffer):
            guard case .receiving = machine.state else { return }
            if body == nil {
                body = buffer
            } else {
                body!.writeBuffer(&buffer)
            }
            let action = machine.requestBody(bufferedBytes: body!.readableBytes)
            if action != .none { body = nil }
            perform(action)
        case .end:
            if case .receiving = machine.state, setContentLength {
                forwardedHead!.headers.replaceOrAdd(name: "Content-Length", value: String(body?.readableBytes ?? 0))
            }
            perform(machine.requestEnd())
        }
    }

    /// Serves pipelined requests that arrived during the last response.
    private func servePipelined(context: ChannelHandlerContext) {
        while let part = machine.nextPipelined() {
            handle(part, context: context)
        }
        if machine.resumeReadingIfDrained() {
            try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .streaming = machine.state, let connection {
            connection.setAutoRead(context.channel.isWritable)
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let retries = machine.retriesSoFar
        let wasBusy = machine.clientClosed()
        attempt &+= 1
        requestDeadline = nil
        if let timer {
            context.eventLoop.assumeIsolated().cancelScheduledCallback(timer)
            self.timer = nil
        }
        if let connection {
            self.connection = nil
            connection.close()
        }
        releaseSlot()
        if wasBusy {
            // The client left before its response was complete.
            pool.recordAbort(retries: retries)
        }
        if activated { pool.unregister(self) }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            perform(machine.clientInputClosed())
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError, machine.malformedRequest() {
            // A malformed request: say so, then close (the stream cannot be resynchronised).
            let response = ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(response), promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }

    // MARK: Actions

    private func perform(_ action: FrontendStateMachine.Action) {
        guard let context else { return }
        switch action {
        case .none, .relayInterim, .relayBody, .relayHead:
            // The relays carry data: see backendRead.
            break
        case .sendContinue:
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
        case .startAttempt(let sameBackend, let mayUsePooled):
            // One look at the shared backend set per attempt (a retry sees backends that left).
            pool.refresh()
            if requestDeadline == nil {
                // The first attempt: the backend timeout covers this one and its retries.
                tried.removeAll(keepingCapacity: true)
                previousSlot = nil
                let deadline = context.eventLoop.now + backendTimeout
                requestDeadline = deadline
                armTimer(at: deadline)
                let head = forwardedHead!
                service = pool.service(uri: head.uri) { head.headers.first(name: "host") }
            }
            startAttempt(sameBackend: sameBackend, mayUsePooled: mayUsePooled)
        case .respond(let response, let finish, let retries):
            abandonAttempt()
            var out = context.channel.allocator.buffer(capacity: 256)
            let request = machine.request
            response.write(minorVersion: request?.minorVersion ?? 1, keepAlive: finish == .keepOpen, into: &out)
            context.write(wrapOutboundOut(out), promise: nil)
            pool.recordProxyResponse(response, retries: retries)
            finishExchange(finish)
        case .responseComplete(let reusable, let finish, let retries):
            if let connection {
                self.connection = nil
                pool.release(connection, reusable: reusable && !connection.unusable)
            }
            if let slot {
                self.slot = nil
                pool.requestFinished(on: slot)
                pool.recordResponse(from: slot.backend, retries: retries)
            }
            finishExchange(finish)
        case .abort(let retries):
            abandonAttempt()
            pool.recordAbort(retries: retries)
            context.close(promise: nil)
        case .close:
            context.close(promise: nil)
        }
    }

    /// Sends the request to the failed attempt's backend (`sameBackend`, when it still serves the
    /// request's service) or to the balancer's choice among that service's backends.
    private func startAttempt(sameBackend: Bool, mayUsePooled: Bool) {
        let preferred = sameBackend ? previousSlot : nil
        let chosen: BackendSlot
        if let preferred, pool.isServing(preferred, in: service) {
            chosen = preferred
        } else if let picked = pool.pick(in: service, excluding: tried) {
            chosen = picked
        } else {
            perform(machine.noBackend(triedAny: !tried.isEmpty))
            return
        }
        if !tried.contains(where: { $0 === chosen }) { tried.append(chosen) }
        slot = chosen
        pool.requestStarted(on: chosen)
        attempt &+= 1
        // A request that must not be repeated never takes a pooled connection, which the backend
        // may be closing at this moment (RetryPolicy).
        if mayUsePooled, let pooled = pool.takeIdleConnection(for: chosen) {
            _ = machine.connected()
            send(on: pooled)
            return
        }
        let token = attempt
        pool.connect(to: chosen) { [self] result in
            guard attempt == token else {
                // This attempt was abandoned (timeout, client gone): keep the connection for others.
                if case .success(let connection) = result { pool.release(connection, reusable: true) }
                return
            }
            switch result {
            case .success(let connection):
                guard machine.connected() else {
                    pool.release(connection, reusable: true)
                    return
                }
                send(on: connection)
            case .failure:
                pool.connectFailed(on: chosen)
                releaseSlot()
                perform(machine.attemptFailed(.connect))
            }
        }
    }

    private func send(on connection: BackendConnection) {
        self.connection = connection
        let host = needsHost ? connection.backend.map { "\($0.host):\($0.port)" } : nil
        connection.send(forwardedHead!, extraHost: host, body: body, dechunk: machine.request?.minorVersion == 0, for: self)
    }

    /// Drops the current attempt's connection and slot (a response of the proxy's own follows).
    private func abandonAttempt() {
        attempt &+= 1
        if let connection {
            self.connection = nil
            connection.close()
        }
        releaseSlot()
    }

    private func releaseSlot() {
        if let slot {
            self.slot = nil
            previousSlot = slot
            pool.requestFinished(on: slot)
        }
    }

    private func finishExchange(_ finish: FrontendStateMachine.Finish) {
        guard let context else { return }
        requestDeadline = nil
        body = nil
        forwardedHead = nil
        unflushed = false
        switch finish {
        case .keepOpen:
            lastActivity = context.eventLoop.now
            context.flush()
            servePipelined(context: context)
        case .discardRest:
            context.flush()
            servePipelined(context: context)
        case .closeAfterWrite:
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    // MARK: Backend events (from the current connection only)

    func backendRead(_ event: ResponseFramer.Event, from source: BackendConnection) {
        guard source === connection, let context else { return }
        switch event {
        case .head(let head):
            switch machine.responseHead(head) {
            case .relayInterim:
                context.write(wrapOutboundOut(head.raw), promise: nil)
                unflushed = true
            case .relayHead(let keepAlive, let dechunk):
                var out = context.channel.allocator.buffer(capacity: head.raw.readableBytes + 64)
                ResponseHeadWriter.write(head, clientMinorVersion: machine.request?.minorVersion ?? 1, keepAlive: keepAlive,
                                         relaysChunkFraming: !dechunk, via: configuration.via, into: &out)
                context.write(wrapOutboundOut(out), promise: nil)
                unflushed = true
                if !context.channel.isWritable { source.setAutoRead(false) }
            case let other:
                perform(other)
            }
        case .body(let buffer):
            if machine.responseBody() == .relayBody {
                context.write(wrapOutboundOut(buffer), promise: nil)
                unflushed = true
            }
        case .end:
            perform(machine.responseEnd())
        }
    }

    func backendReadComplete(from source: BackendConnection) {
        // Parts of a response still streaming go out once per read burst.
        if unflushed, source === connection, case .streaming = machine.state {
            unflushed = false
            context?.flush()
        }
    }

    /// The backend connection closed before the response ended.
    func backendClosed(_ source: BackendConnection) {
        guard source === connection else { return }
        connection = nil
        releaseSlot()
        perform(machine.backendClosed(responseStarted: source.responseStarted, reusedConnection: source.isReused))
    }

    /// The backend's response broke HTTP's framing: 502 if nothing was relayed yet (no retry: the
    /// backend did receive the request), else the client connection is cut.
    func backendFailed(_ source: BackendConnection) {
        guard source === connection else { return }
        connection = nil
        perform(machine.backendClosed(responseStarted: true, reusedConnection: source.isReused, invalid: true))
    }

    // MARK: Lifetime

    /// Shutdown: close now if idle, else after the current response.
    func quiesce() {
        perform(machine.quiesce())
    }

    func forceClose() {
        context?.close(promise: nil)
    }

    /// Makes sure the timer fires no later than `deadline` (an earlier timer is left alone: it
    /// re-arms itself for whatever is due when it fires).
    private func armTimer(at deadline: NIODeadline) {
        guard let context, machine.state != .closed else { return }
        if timer != nil {
            if timerDeadline <= deadline { return }
            context.eventLoop.assumeIsolated().cancelScheduledCallback(timer!)
            timer = nil
        }
        timerDeadline = deadline
        timer = try? context.eventLoop.assumeIsolated().scheduleCallback(at: deadline, handler: ConnectionTimer(frontend: self))
    }

    fileprivate func timerFired() {
        guard let context else { return }
        timer = nil
        timerDeadline = .distantFuture
        let now = context.eventLoop.now
        if machine.isBusy {
            guard let deadline = requestDeadline else {
                armTimer(at: now + idleTimeout)
                return
            }
            if now >= deadline {
                requestDeadline = nil
                        perform(machine.backendTimedOut())
                if machine.state == .idle { armTimer(at: lastActivity + idleTimeout) }
            } else {
                armTimer(at: deadline)
            }
        } else if machine.state != .closed {
            // A client idle (or stalled mid-request) for the whole idle timeout is closed.
            if now - lastActivity >= idleTimeout {
                context.close(promise: nil)
            } else {
                armTimer(at: lastActivity + idleTimeout)
            }
        }
    }
}

/// The per-connection timer (see ``FrontendHandler``).
private struct ConnectionTimer: NIOScheduledCallbackHandler {
    let frontend: FrontendHandler

    func handleScheduledCallback(eventLoop: some EventLoop) {
        frontend.timerFired()
    }
}
