import NIOCore
import NIOHTTP1

/// One keep-alive HTTP/1.1 connection to a backend: the only handler of its pipeline. Requests go
/// out as bytes written by ``RequestWriter``; responses are framed, not decoded, by a
/// ``ResponseFramer`` per request.
///
/// While a request uses it, `exchange` is that request's ``FrontendHandler`` and every framing
/// event is handed to it directly (both channels live on the same event loop). While idle in the
/// pool, `exchange` is nil: a close removes it from the pool, and anything the backend sends is
/// unexpected and closes it.
final class BackendConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    private var pool: EventLoopPool?
    private(set) var slot: BackendSlot?
    /// The request currently using this connection.
    var exchange: FrontendHandler?
    /// Requests sent on this connection so far (including the current one).
    private(set) var requestsSent = 0
    private var closing = false
    private var readingPaused = false
    private var framer: ResponseFramer?

    /// True if the current request is not the first on this connection.
    var isReused: Bool { requestsSent > 1 }

    /// Open as far as this event loop knows (a close may still be in flight from the backend).
    var isOpen: Bool { !closing && (context?.channel.isActive ?? false) }

    var backend: Backend? { slot?.backend }

    func attach(pool: EventLoopPool, slot: BackendSlot) {
        self.pool = pool
        self.slot = slot
    }

    /// Writes a whole request and flushes once. `dechunk`: the response's chunk framing is removed
    /// (for a client that cannot take it).
    func send(_ head: HTTPRequestHead, extraHost: String?, body: ByteBuffer?, dechunk: Bool, for exchange: FrontendHandler) {
        self.exchange = exchange
        requestsSent += 1
        framer = ResponseFramer(isHeadRequest: head.method == .HEAD, dechunk: dechunk)
        guard let context, !closing else {
            // Already gone: report it like a close before the response, on the next tick.
            pool?.eventLoop.assumeIsolated().execute {
                if self.exchange === exchange {
                    self.exchange = nil
                    exchange.backendClosed(self)
                }
            }
            return
        }
        var bytes = context.channel.allocator.buffer(capacity: 256 + head.headers.count * 32 + (body?.readableBytes ?? 0))
        RequestWriter.write(head, extraHost: extraHost, body: body, into: &bytes)
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }

    /// Whether the response in progress has delivered any byte (a retry is no longer possible).
    var responseStarted: Bool { framer?.hasStarted ?? false }

    /// Backpressure from a slow client: stop reading the backend until the client drains.
    func setAutoRead(_ enabled: Bool) {
        guard enabled == readingPaused, let channel = context?.channel else { return }
        readingPaused = !enabled
        try? channel.syncOptions?.setOption(.autoRead, value: enabled)
    }

    /// Detaches any exchange (which will not hear of this close) and closes the connection.
    func close() {
        exchange = nil
        guard !closing else { return }
        closing = true
        context?.close(promise: nil)
    }

    // MARK: ChannelInboundHandler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard exchange != nil, framer != nil else {
            // Nothing may arrive on an idle connection (a server's "408" before closing, garbage).
            close()
            return
        }
        do {
            while let exchange, let event = try framer!.next(&buffer) {
                if case .end = event {
                    // Bytes after the response: the connection cannot carry another one.
                    if buffer.readableBytes > 0 { unusable = true }
                    framer = nil
                    exchange.backendRead(event, from: self)
                    return
                }
                exchange.backendRead(event, from: self)
            }
        } catch {
            unusable = true
            if let exchange {
                self.exchange = nil
                exchange.backendFailed(self)
            }
            close()
        }
    }

    /// The backend broke framing or sent more than its response: never reused.
    private(set) var unusable = false

    func channelReadComplete(context: ChannelHandlerContext) {
        exchange?.backendReadComplete(from: self)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        if let exchange, let end = framer?.finishAtClose() {
            // A body delimited by the close.
            framer = nil
            exchange.backendRead(end, from: self)
        }
        if let exchange {
            self.exchange = nil
            exchange.backendClosed(self)
        } else {
            pool?.idleConnectionClosed(self)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The exchange, if any, hears of it in channelInactive.
        guard !closing else { return }
        closing = true
        context.close(promise: nil)
    }
}
