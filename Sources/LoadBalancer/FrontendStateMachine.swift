import NIOCore
import NIOHTTP1

/// The life of one client connection of the proxy, as a pure state machine: events in (a request
/// part, a backend's framing event, a failure, the timer, the client going away), actions out,
/// which ``FrontendHandler`` performs. No I/O, no clock (times come with the events), no objects:
/// which backend, which connection and which bytes are the handler's business; what happens next
/// is decided here, and unit-tested without sockets.
///
/// Requests are served one at a time, in order. Parts of a pipelined request that arrive while
/// one is being served wait in ``pipelined``, and the connection is not read until they are
/// served. A request's body is buffered (up to ``maxBodySize``) so that it can be retried.
struct FrontendStateMachine {
    /// What is known of the request being served.
    struct Request: Equatable {
        var method: HTTPMethod
        var minorVersion: Int
        /// The client's connection stays open after this response.
        var keepAlive: Bool
        var idempotent: Bool
    }

    /// The request's attempts so far (see ``RetryPolicy``).
    struct Attempts: Equatable {
        var retriesLeft: Int
        var retriedStale = false
        var retries = 0
    }

    enum State: Equatable {
        /// Between requests.
        case idle
        /// Head received, body being buffered.
        case receiving(Request)
        /// Waiting for a new connection to a backend.
        case connecting(Request, Attempts)
        /// Request sent, no response head yet.
        case awaitingResponse(Request, Attempts)
        /// Relaying the response; `reusable`: the backend keeps its connection open after it.
        case streaming(Request, Attempts, reusable: Bool)
        /// Answered early (413); reading the rest of the request before closing, so that the
        /// close does not reset the connection under the client's feet.
        case discarding
        case closed
    }

    /// What the handler does for an event.
    enum Action: Equatable {
        case none
        /// Answer `100 Continue` now (the proxy buffers the body, so the backend never sees the Expect).
        case sendContinue
        /// Pick a backend for the current request and send it there: the backend of the failed
        /// attempt on a fresh connection (`sameBackend`), or the balancer's choice (a pooled
        /// connection when the request may use one). Report the outcome with ``connected()`` (a
        /// pooled or new connection carries it) or ``attemptFailed(_:)``, or ``noBackend(triedAny:)``.
        case startAttempt(sameBackend: Bool, mayUsePooled: Bool)
        /// Answer with a response of the proxy's own, then ``Finish`` the exchange; `retries`: the
        /// request's retries, for the counters.
        case respond(ProxyErrorResponse, Finish, retries: Int)
        /// Write the response head for the client (with `keepAlive` and the chunk framing relayed
        /// or removed, `dechunk`).
        case relayHead(keepAlive: Bool, dechunk: Bool)
        /// Write a 1xx head as received.
        case relayInterim
        /// Write body bytes.
        case relayBody
        /// The response is complete: return the backend connection (to the pool if `reusable`),
        /// count the response, then ``Finish`` the exchange.
        case responseComplete(reusable: Bool, Finish, retries: Int)
        /// The response cannot be completed: close the backend connection if any and cut the client.
        case abort(retries: Int)
        /// Close the client connection now.
        case close
    }

    /// How an exchange ends for the client connection.
    enum Finish: Equatable {
        /// Ready for the next request: flush, then serve queued pipelined parts.
        case keepOpen
        /// Flush; the rest of the request is read and dropped, then the connection closes.
        case discardRest
        /// Flush, then close once written.
        case closeAfterWrite
    }

    /// What to do with a part the client sent.
    enum ReadDecision: Equatable {
        /// Handle it now (call the matching event).
        case handle
        /// Queued behind the current request; stop reading the client if `pauseReading`.
        case queued(pauseReading: Bool)
        case ignore
    }

    let maxBodySize: Int
    let retries: Int
    private(set) var state = State.idle
    private(set) var quiescing = false
    private(set) var inputClosed = false
    /// Parts of pipelined requests, in arrival order.
    private(set) var pipelined = CircularBuffer<HTTPServerRequestPart>()
    /// Whether reading of the client is paused (because of ``pipelined``).
    private(set) var readingPaused = false

    init(maxBodySize: Int, retries: Int, quiescing: Bool = false) {
        self.maxBodySize = maxBodySize
        self.retries = retries
        self.quiescing = quiescing
    }

    /// True while a request is with a backend (connecting, waiting, relaying).
    var isBusy: Bool {
        switch state {
        case .connecting, .awaitingResponse, .streaming: return true
        case .idle, .receiving, .discarding, .closed: return false
        }
    }

    /// The current request, if any.
    var request: Request? {
        switch state {
        case .receiving(let r), .connecting(let r, _), .awaitingResponse(let r, _), .streaming(let r, _, _): return r
        case .idle, .discarding, .closed: return nil
        }
    }

    /// Retries of the current request so far (for the counters).
    var retriesSoFar: Int {
        switch state {
        case .connecting(_, let a), .awaitingResponse(_, let a), .streaming(_, let a, _): return a.retries
        case .idle, .receiving, .discarding, .closed: return 0
        }
    }

    // MARK: Client events

    /// A part arrived from the client.
    mutating func clientRead(_ part: HTTPServerRequestPart) -> ReadDecision {
        switch state {
        case .closed:
            return .ignore
        case .idle, .receiving, .discarding:
            if pipelined.isEmpty { return .handle }
            fallthrough
        case .connecting, .awaitingResponse, .streaming:
            pipelined.append(part)
            guard !readingPaused else { return .queued(pauseReading: false) }
            readingPaused = true
            return .queued(pauseReading: true)
        }
    }

    /// The next queued part to handle now, or nil (then ``resumeReadingIfDrained()``).
    mutating func nextPipelined() -> HTTPServerRequestPart? {
        switch state {
        case .idle, .receiving, .discarding: return pipelined.popFirst()
        case .connecting, .awaitingResponse, .streaming, .closed: return nil
        }
    }

    /// True when reading was paused and the queue is now empty: resume reading the client.
    mutating func resumeReadingIfDrained() -> Bool {
        guard pipelined.isEmpty, readingPaused, state != .closed else { return false }
        readingPaused = false
        return true
    }

    /// A request head. `keepAlive`: the client's wish (HTTP version and Connection).
    mutating func requestHead(method: HTTPMethod, minorVersion: Int, keepAlive: Bool, expectsContinue: Bool) -> Action {
        guard state == .idle else { return .none }
        state = .receiving(Request(method: method, minorVersion: minorVersion, keepAlive: keepAlive && !quiescing,
                                   idempotent: RetryPolicy.isIdempotent(method)))
        return expectsContinue && minorVersion >= 1 ? .sendContinue : .none
    }

    /// Body bytes arrived; `bufferedBytes`: the body's size so far, these included.
    mutating func requestBody(bufferedBytes: Int) -> Action {
        guard case .receiving(var request) = state, bufferedBytes > maxBodySize else { return .none }
        // Answer at once; the rest of the body is read and dropped.
        request.keepAlive = false
        state = .receiving(request)
        return respond(.payloadTooLarge)
    }

    /// The request is complete.
    mutating func requestEnd() -> Action {
        switch state {
        case .discarding:
            state = .closed
            return .close
        case .receiving(let request):
            state = .connecting(request, Attempts(retriesLeft: retries))
            return .startAttempt(sameBackend: false, mayUsePooled: request.idempotent)
        default:
            return .none
        }
    }

    /// The client half-closed its connection: answer what it asked, then close.
    mutating func clientInputClosed() -> Action {
        inputClosed = true
        if (state == .idle && pipelined.isEmpty) || state == .discarding {
            return .close
        }
        return .none
    }

    /// The client sent something that is not HTTP. Returns true when it gets a 400 (nothing of a
    /// response has been written yet), false when the connection is just closed.
    mutating func malformedRequest() -> Bool {
        let answer: Bool
        switch state {
        case .idle, .receiving: answer = true
        case .connecting, .awaitingResponse, .streaming, .discarding, .closed: answer = false
        }
        state = .closed
        return answer
    }

    /// The client's connection is gone. Returns whether a response was in progress (an abort).
    mutating func clientClosed() -> Bool {
        let wasBusy = isBusy
        state = .closed
        pipelined.removeAll()
        return wasBusy
    }

    /// Shutdown: close now if idle, else after the current response.
    mutating func quiesce() -> Action {
        quiescing = true
        switch state {
        case .receiving(var r):
            r.keepAlive = false
            state = .receiving(r)
        case .connecting(var r, let a):
            r.keepAlive = false
            state = .connecting(r, a)
        case .awaitingResponse(var r, let a):
            r.keepAlive = false
            state = .awaitingResponse(r, a)
        case .streaming(var r, let a, let reusable):
            r.keepAlive = false
            state = .streaming(r, a, reusable: reusable)
        case .idle:
            return .close
        case .discarding, .closed:
            break
        }
        return .none
    }

    // MARK: Attempts

    /// The attempt has its connection (taken from the pool, or newly made) and the request goes
    /// out on it; returns false when the attempt was abandoned meanwhile (a new connection then
    /// goes to the pool unused).
    mutating func connected() -> Bool {
        guard case .connecting(let r, let a) = state else { return false }
        state = .awaitingResponse(r, a)
        return true
    }

    /// No backend can take the request: 503 when the service has none, 502 when all were tried.
    mutating func noBackend(triedAny: Bool) -> Action {
        guard request != nil else { return .none }
        return respond(triedAny ? .badGateway : .serviceUnavailable)
    }

    /// The attempt failed before any response byte (see ``RetryPolicy``).
    mutating func attemptFailed(_ failure: RetryPolicy.Failure) -> Action {
        let (request, attempts): (Request, Attempts)
        switch state {
        case .connecting(let r, let a), .awaitingResponse(let r, let a): (request, attempts) = (r, a)
        default: return .none
        }
        var next = attempts
        switch RetryPolicy.decide(failure, idempotent: request.idempotent, retriesLeft: attempts.retriesLeft,
                                  alreadyRetriedStale: attempts.retriedStale) {
        case .freshConnectionSameBackend:
            next.retriedStale = true
            next.retries += 1
            state = .connecting(request, next)
            return .startAttempt(sameBackend: true, mayUsePooled: false)
        case .anotherBackend:
            next.retriesLeft -= 1
            next.retries += 1
            state = .connecting(request, next)
            return .startAttempt(sameBackend: false, mayUsePooled: request.idempotent)
        case .fail:
            return respond(.badGateway)
        }
    }

    // MARK: Backend events

    /// A response head from the backend.
    mutating func responseHead(_ head: ResponseHead) -> Action {
        guard case .awaitingResponse(var request, let attempts) = state else { return .none }
        if head.isInterim {
            // 1xx: relayed to an HTTP/1.1 client (RFC 9110 §15.2), not to HTTP/1.0 ones.
            return request.minorVersion >= 1 ? .relayInterim : .none
        }
        let http10 = request.minorVersion == 0
        switch head.framing {
        case .untilClose:
            // Only the connection's close can end this body for the client too.
            request.keepAlive = false
        case .chunked where http10:
            // An HTTP/1.0 client cannot take chunks: de-chunked, the body ends with the connection.
            request.keepAlive = false
        case .none, .length, .chunked:
            break
        }
        state = .streaming(request, attempts, reusable: head.keepAlive)
        return .relayHead(keepAlive: request.keepAlive, dechunk: http10)
    }

    mutating func responseBody() -> Action {
        guard case .streaming = state else { return .none }
        return .relayBody
    }

    mutating func responseEnd() -> Action {
        guard case .streaming(_, let attempts, let reusable) = state else { return .none }
        return .responseComplete(reusable: reusable, finish(), retries: attempts.retries)
    }

    /// The backend connection closed (or broke HTTP's framing, `invalid`) before the response ended.
    mutating func backendClosed(responseStarted: Bool, reusedConnection: Bool, invalid: Bool = false) -> Action {
        switch state {
        case .awaitingResponse:
            if invalid {
                // The backend did receive the request: no retry.
                return respond(.badGateway)
            }
            return attemptFailed(responseStarted ? .closedMidResponse : .closedBeforeResponse(reusedConnection: reusedConnection))
        case .streaming(_, let attempts, _):
            state = .closed
            return .abort(retries: attempts.retries)
        default:
            return .none
        }
    }

    // MARK: Time

    /// The request's deadline passed: 504 if nothing was relayed yet, else the client is cut.
    mutating func backendTimedOut() -> Action {
        switch state {
        case .connecting, .awaitingResponse:
            return respond(.gatewayTimeout)
        case .streaming(_, let attempts, _):
            state = .closed
            return .abort(retries: attempts.retries)
        case .idle, .receiving, .discarding, .closed:
            return .none
        }
    }

    // MARK: Finishing

    private mutating func respond(_ response: ProxyErrorResponse) -> Action {
        let retries = retriesSoFar
        return .respond(response, finish(), retries: retries)
    }

    /// Ends the current exchange (the handler writes the last bytes): whether the connection
    /// stays open for the next request, reads and drops the rest of this one, or closes.
    private mutating func finish() -> Finish {
        let keepAlive = request?.keepAlive ?? false
        let receiving: Bool
        if case .receiving = state { receiving = true } else { receiving = false }
        if keepAlive && !quiescing && !(inputClosed && pipelined.isEmpty) {
            state = .idle
            return .keepOpen
        }
        if receiving && !inputClosed {
            state = .discarding
            return .discardRest
        }
        state = .closed
        return .closeAfterWrite
    }
}
