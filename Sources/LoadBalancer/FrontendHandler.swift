import NIOCore
import NIOHTTP1

/// Serves one client connection: the last handler of a pipeline whose only other handler is NIO's
/// request decoder (see ``ReverseProxy/start()``). Responses are written as bytes: the backend's
/// head rewritten by ``ResponseHeadWriter`` and its body as framed by ``ResponseFramer``, never
/// decoded and re-encoded.
///
/// A request goes through: receiving (the body is buffered, up to
/// ``ProxyConfiguration/maxRequestBodySize``), connecting or taking a pooled connection,
/// awaiting the response head, then streaming the response bytes to the client as they are
/// framed (no copies; flushed once per read burst; the backend is not read while the client
/// cannot take more). Failures before the response head go through ``RetryPolicy``; after it the
/// client connection is closed, since a response cannot be restarted.
///
/// Requests are served one at a time. A client that pipelines has its next requests queued here
/// (and its connection no longer read until they are served), which keeps the common,
/// non-pipelined case free of the read-interest toggling NIO's `HTTPServerPipelineHandler` does
/// around every request.
///
/// One timer per connection covers both the backend timeout of the current request and the idle
/// timeout: it is re-armed lazily when it fires, so a request normally schedules nothing.
final class FrontendHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private enum State {
        /// Between requests.
        case idle
        /// Head received, body being buffered.
        case receiving
        /// Waiting for a new connection to a backend.
        case connecting
        /// Request sent, no response head yet.
        case awaitingResponse
        /// Relaying the response.
        case streaming
        /// Answered early (413); reading the rest of the request before closing, so that the
        /// close does not reset the connection under the client's feet.
        case discarding
        case closed
    }

    private let pool: EventLoopPool
    private let configuration: ProxyConfiguration
    private let backendTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var state = State.idle
    private var activated = false
    private var clientAddress = "unknown"

    // The current request.
    private var method = HTTPMethod.GET
    private var clientVersion = HTTPVersion.http1_1
    private var keepAlive = true
    private var idempotent = true
    private var forwardedHead: HTTPRequestHead?
    private var needsHost = false
    private var setContentLength = false
    private var body: ByteBuffer?

    /// The service the route table chose for the current request; its retries stay within it.
    private var service: String?

    // The current attempt.
    private var tried: [BackendSlot] = []
    private var retriesLeft = 0
    private var retriedStale = false
    private var retries = 0
    private var slot: BackendSlot?
    private var connection: BackendConnection?
    private var attempt: UInt64 = 0
    private var backendKeepAlive = true
    /// Response parts written to the client since the last flush.
    private var unflushed = false

    // Pipelined requests waiting for the current one.
    private var pipelined = CircularBuffer<HTTPServerRequestPart>()
    private var readingPaused = false

    // Timing.
    private var requestDeadline: NIODeadline?
    private var lastActivity = NIODeadline.now()
    private var timer: NIOScheduledCallback?
    private var timerDeadline = NIODeadline.distantFuture
    private var quiescing = false
    private var inputClosed = false

    init(pool: EventLoopPool) {
        self.pool = pool
        self.configuration = pool.configuration
        self.backendTimeout = TimeAmount(pool.configuration.backendTimeout)
        self.idleTimeout = TimeAmount(pool.configuration.clientIdleTimeout)
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
        if pool.isQuiescing { quiescing = true }
        lastActivity = .now()
        armTimer(at: lastActivity + idleTimeout)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch state {
        case .idle, .receiving, .discarding:
            if pipelined.isEmpty {
                handle(part, context: context)
            } else {
                queue(part, context: context)
            }
        case .connecting, .awaitingResponse, .streaming:
            queue(part, context: context)
        case .closed:
            break
        }
    }

    private func queue(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        pipelined.append(part)
        if !readingPaused {
            readingPaused = true
            try? context.channel.syncOptions?.setOption(.autoRead, value: false)
        }
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            guard state == .idle else { return }
            begin(head, context: context)
        case .body(var buffer):
            guard state == .receiving else { return }
            if body == nil {
                body = buffer
            } else {
                body!.writeBuffer(&buffer)
            }
            if body!.readableBytes > configuration.maxRequestBodySize {
                // Answer at once; the rest of the body is read and dropped.
                body = nil
                keepAlive = false
                respond(.payloadTooLarge)
            }
        case .end:
            if state == .discarding {
                state = .closed
                context.close(promise: nil)
                return
            }
            guard state == .receiving else { return }
            if setContentLength {
                forwardedHead!.headers.replaceOrAdd(name: "Content-Length", value: String(body?.readableBytes ?? 0))
            }
            dispatch()
        }
    }

    /// Serves pipelined requests that arrived during the last response.
    private func servePipelined(context: ChannelHandlerContext) {
        while state == .idle || state == .receiving || state == .discarding, let part = pipelined.popFirst() {
            handle(part, context: context)
        }
        if pipelined.isEmpty && readingPaused && state != .closed {
            readingPaused = false
            try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if state == .streaming, let connection {
            connection.setAutoRead(context.channel.isWritable)
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let wasBusy = state == .connecting || state == .awaitingResponse || state == .streaming
        state = .closed
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
        if let slot {
            self.slot = nil
            pool.requestFinished(on: slot)
        }
        if wasBusy {
            // The client left before its response was complete.
            pool.recordAbort(retries: retries)
        }
        pipelined.removeAll()
        if activated { pool.unregister(self) }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The client is done sending (half-close): answer what it asked, then close.
            inputClosed = true
            if (state == .idle && pipelined.isEmpty) || state == .discarding { context.close(promise: nil) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError, state == .idle || state == .receiving {
            // A malformed request: say so, then close (the stream cannot be resynchronised).
            state = .closed
            let response = ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(response), promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }

    // MARK: Request

    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        state = .receiving
        lastActivity = .now()
        method = head.method
        clientVersion = head.version
        keepAlive = head.isKeepAlive && !quiescing
        idempotent = RetryPolicy.isIdempotent(head.method)
        body = nil
        let rewritten = HeaderRewriter.request(head.headers, clientAddress: clientAddress, via: configuration.via)
        forwardedHead = HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: rewritten.headers)
        needsHost = !rewritten.hasHost
        setContentLength = rewritten.wasChunked
            || (!rewritten.hasContentLength && head.method != .GET && head.method != .HEAD)
        if rewritten.expectsContinue && (head.version.major > 1 || head.version.minor >= 1) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
        }
    }

    private func dispatch() {
        tried.removeAll(keepingCapacity: true)
        retriesLeft = configuration.retries
        retriedStale = false
        retries = 0
        let deadline = NIODeadline.now() + backendTimeout
        requestDeadline = deadline
        armTimer(at: deadline)
        pool.refresh()
        let head = forwardedHead!
        service = pool.service(uri: head.uri) { head.headers.first(name: "host") }
        startAttempt(on: nil, freshConnection: false)
    }

    /// Sends the request to `preferred` (when it still serves the request's service) or to the
    /// balancer's choice among that service's backends.
    private func startAttempt(on preferred: BackendSlot?, freshConnection: Bool) {
        pool.refresh()
        let chosen: BackendSlot
        if let preferred, pool.isServing(preferred, in: service) {
            chosen = preferred
        } else if let picked = pool.pick(in: service, excluding: tried) {
            chosen = picked
        } else {
            respond(tried.isEmpty ? .serviceUnavailable : .badGateway)
            return
        }
        if !tried.contains(where: { $0 === chosen }) { tried.append(chosen) }
        slot = chosen
        pool.requestStarted(on: chosen)
        attempt &+= 1
        // A request that must not be repeated never takes a pooled connection, which the backend
        // may be closing at this moment (RetryPolicy).
        if !freshConnection, idempotent, let pooled = pool.takeIdleConnection(for: chosen) {
            send(on: pooled)
            return
        }
        state = .connecting
        let token = attempt
        pool.connect(to: chosen) { [self] result in
            guard state == .connecting, attempt == token else {
                // This attempt was abandoned (timeout, client gone): keep the connection for others.
                if case .success(let connection) = result { pool.release(connection, reusable: true) }
                return
            }
            switch result {
            case .success(let connection):
                send(on: connection)
            case .failure:
                pool.connectFailed(on: chosen)
                attemptFailed(.connect)
            }
        }
    }

    private func send(on connection: BackendConnection) {
        state = .awaitingResponse
        self.connection = connection
        let host = needsHost ? connection.backend.map { "\($0.host):\($0.port)" } : nil
        connection.send(forwardedHead!, extraHost: host, body: body, dechunk: clientVersion.minor == 0, for: self)
    }

    private func attemptFailed(_ failure: RetryPolicy.Failure) {
        let failedSlot = slot
        if let failedSlot {
            slot = nil
            pool.requestFinished(on: failedSlot)
        }
        switch RetryPolicy.decide(failure, idempotent: idempotent, retriesLeft: retriesLeft, alreadyRetriedStale: retriedStale) {
        case .freshConnectionSameBackend:
            retriedStale = true
            retries += 1
            startAttempt(on: failedSlot, freshConnection: true)
        case .anotherBackend:
            retriesLeft -= 1
            retries += 1
            startAttempt(on: nil, freshConnection: false)
        case .fail:
            respond(.badGateway)
        }
    }

    // MARK: Backend events (from the current connection only)

    func backendRead(_ event: ResponseFramer.Event, from source: BackendConnection) {
        guard source === connection, let context else { return }
        switch event {
        case .head(let head):
            guard state == .awaitingResponse else { return }
            if head.isInterim {
                // 1xx: relayed to an HTTP/1.1 client (RFC 9110 §15.2), not to HTTP/1.0 ones.
                if clientVersion.minor >= 1 {
                    context.write(wrapOutboundOut(head.raw), promise: nil)
                    unflushed = true
                }
                return
            }
            state = .streaming
            backendKeepAlive = head.keepAlive
            let http10 = clientVersion.minor == 0
            switch head.framing {
            case .untilClose:
                // Only the connection's close can end this body for the client too.
                keepAlive = false
            case .chunked where http10:
                // An HTTP/1.0 client cannot take chunks: the body is de-chunked and ends with the connection.
                keepAlive = false
            case .none, .length, .chunked:
                break
            }
            var out = context.channel.allocator.buffer(capacity: head.raw.readableBytes + 64)
            ResponseHeadWriter.write(head, clientMinorVersion: clientVersion.minor, keepAlive: keepAlive,
                                     relaysChunkFraming: !http10, via: configuration.via, into: &out)
            context.write(wrapOutboundOut(out), promise: nil)
            unflushed = true
            if !context.channel.isWritable { source.setAutoRead(false) }
        case .body(let buffer):
            guard state == .streaming else { return }
            context.write(wrapOutboundOut(buffer), promise: nil)
            unflushed = true
        case .end:
            guard state == .streaming else { return }
            connection = nil
            pool.release(source, reusable: backendKeepAlive && !source.unusable)
            if let slot {
                self.slot = nil
                pool.requestFinished(on: slot)
                pool.recordResponse(from: slot.backend, retries: retries)
            }
            finishResponse()
        }
    }

    /// The backend's response broke HTTP's framing: 502 if nothing was relayed yet (no retry: the
    /// backend did receive the request), else the client connection is cut.
    func backendFailed(_ source: BackendConnection, error: any Error) {
        guard source === connection else { return }
        connection = nil
        switch state {
        case .awaitingResponse:
            if let slot {
                self.slot = nil
                pool.requestFinished(on: slot)
            }
            respond(.badGateway)
        case .streaming:
            abort()
        default:
            break
        }
    }

    func backendReadComplete(from source: BackendConnection) {
        // Parts of a response still streaming go out once per read burst.
        if unflushed, source === connection, state == .streaming {
            unflushed = false
            context?.flush()
        }
    }

    func backendClosed(_ source: BackendConnection, error: (any Error)?) {
        guard source === connection else { return }
        connection = nil
        switch state {
        case .awaitingResponse:
            attemptFailed(source.responseStarted ? .closedMidResponse : .closedBeforeResponse(reusedConnection: source.isReused))
        case .streaming:
            abort()
        default:
            break
        }
    }

    private func backendTimedOut() {
        switch state {
        case .connecting, .awaitingResponse:
            attempt &+= 1
            if let connection {
                self.connection = nil
                connection.close()
            }
            if let slot {
                self.slot = nil
                pool.requestFinished(on: slot)
            }
            respond(.gatewayTimeout)
        case .streaming:
            if let connection {
                self.connection = nil
                connection.close()
            }
            abort()
        case .idle, .receiving, .discarding, .closed:
            break
        }
    }

    // MARK: Responses

    /// Answers the current request with a response of the proxy's own.
    private func respond(_ response: ProxyErrorResponse) {
        guard let context else { return }
        var out = context.channel.allocator.buffer(capacity: 256)
        response.write(minorVersion: clientVersion.minor, keepAlive: keepAlive, into: &out)
        context.write(wrapOutboundOut(out), promise: nil)
        pool.recordProxyResponse(response, retries: retries)
        finishResponse()
    }

    private func finishResponse() {
        guard let context else { return }
        requestDeadline = nil
        body = nil
        forwardedHead = nil
        unflushed = false
        if keepAlive && !quiescing && !(inputClosed && pipelined.isEmpty) {
            state = .idle
            lastActivity = .now()
            context.flush()
            if !pipelined.isEmpty || readingPaused { servePipelined(context: context) }
        } else if state == .receiving && !inputClosed {
            state = .discarding
            context.flush()
            if !pipelined.isEmpty || readingPaused { servePipelined(context: context) }
        } else {
            state = .closed
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// The response had started and cannot be completed: cut the client connection.
    private func abort() {
        requestDeadline = nil
        if let slot {
            self.slot = nil
            pool.requestFinished(on: slot)
        }
        state = .closed
        pool.recordAbort(retries: retries)
        retries = 0
        context?.close(promise: nil)
    }

    // MARK: Lifetime

    /// Shutdown: close now if idle, else after the current response.
    func quiesce() {
        quiescing = true
        keepAlive = false
        if state == .idle { context?.close(promise: nil) }
    }

    func forceClose() {
        context?.close(promise: nil)
    }

    /// Makes sure the timer fires no later than `deadline` (an earlier timer is left alone: it
    /// re-arms itself for whatever is due when it fires).
    private func armTimer(at deadline: NIODeadline) {
        guard let context, state != .closed else { return }
        if timer != nil {
            if timerDeadline <= deadline { return }
            context.eventLoop.assumeIsolated().cancelScheduledCallback(timer!)
            timer = nil
        }
        timerDeadline = deadline
        timer = try? context.eventLoop.assumeIsolated().scheduleCallback(at: deadline, handler: ConnectionTimer(frontend: self))
    }

    fileprivate func timerFired() {
        timer = nil
        timerDeadline = .distantFuture
        let now = NIODeadline.now()
        switch state {
        case .connecting, .awaitingResponse, .streaming:
            guard let deadline = requestDeadline else {
                armTimer(at: now + idleTimeout)
                return
            }
            if now >= deadline {
                requestDeadline = nil
                backendTimedOut()
                if state == .idle { armTimer(at: lastActivity + idleTimeout) }
            } else {
                armTimer(at: deadline)
            }
        case .idle, .receiving, .discarding:
            // A client idle (or stalled mid-request) for the whole idle timeout is closed.
            if now - lastActivity >= idleTimeout {
                context?.close(promise: nil)
            } else {
                armTimer(at: lastActivity + idleTimeout)
            }
        case .closed:
            break
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
