import NIOCore
import NIOHTTP1

/// One keep-alive HTTP/1.1 connection to a backend: the last handler of its pipeline (after
/// NIO's request encoder and response decoder).
///
/// While a request uses it, `exchange` is that request's ``FrontendHandler`` and every decoded
/// response part is handed to it directly (both channels live on the same event loop). While idle
/// in the pool, `exchange` is nil: a close removes it from the pool, and anything the backend
/// sends is unexpected and closes it.
final class BackendConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private var context: ChannelHandlerContext?
    private var pool: EventLoopPool?
    private(set) var slot: BackendSlot?
    /// The request currently using this connection.
    var exchange: FrontendHandler?
    /// Requests sent on this connection so far (including the current one).
    private(set) var requestsSent = 0
    private var closing = false
    private var readingPaused = false
    private var lastError: (any Error)?

    /// True if the current request is not the first on this connection.
    var isReused: Bool { requestsSent > 1 }

    /// Open as far as this event loop knows (a close may still be in flight from the backend).
    var isOpen: Bool { !closing && (context?.channel.isActive ?? false) }

    var backend: Backend? { slot?.backend }

    func attach(pool: EventLoopPool, slot: BackendSlot) {
        self.pool = pool
        self.slot = slot
    }

    /// Writes a whole request and flushes once.
    func send(_ head: HTTPRequestHead, body: ByteBuffer?, for exchange: FrontendHandler) {
        self.exchange = exchange
        requestsSent += 1
        guard let context, !closing else {
            // Already gone: report it like a close before the response, on the next tick.
            pool?.eventLoop.assumeIsolated().execute {
                if self.exchange === exchange {
                    self.exchange = nil
                    exchange.backendClosed(self, error: nil)
                }
            }
            return
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

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
        let part = unwrapInboundIn(data)
        if let exchange {
            exchange.backendRead(part, from: self)
        } else {
            // Nothing may arrive on an idle connection (a server's "408" before closing, garbage).
            close()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        exchange?.backendReadComplete(from: self)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        if let exchange {
            self.exchange = nil
            exchange.backendClosed(self, error: lastError)
        } else {
            pool?.idleConnectionClosed(self)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The exchange, if any, hears of it in channelInactive.
        lastError = error
        guard !closing else { return }
        closing = true
        context.close(promise: nil)
    }
}
