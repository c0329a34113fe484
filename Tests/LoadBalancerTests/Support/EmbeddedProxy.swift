import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1

@testable import LoadBalancer

/// One event loop of the proxy on an `EmbeddedEventLoop`: client connections and backend
/// connections are `EmbeddedChannel`s, so a test writes bytes on either side, reads what the proxy
/// wrote, and moves time by hand. No sockets, no sleeps.
final class EmbeddedProxy {
    let loop = EmbeddedEventLoop()
    let shared = NIOLockedValueBox(BackendSnapshot())
    private(set) var pool: EventLoopPool!
    /// Every backend connection opened, in order.
    private(set) var connections: [(backend: Backend, channel: EmbeddedChannel)] = []
    /// Backends (by id) whose connects fail.
    var refusing: Set<String> = []

    init(backends: [String], configuration: ProxyConfiguration = ProxyConfiguration()) {
        setBackends(backends)
        pool = EventLoopPool(eventLoop: loop, configuration: configuration, shared: shared) { [unowned self] backend, _ in
            if refusing.contains(backend.id) {
                return loop.makeFailedFuture(ChannelError.connectTimeout(.seconds(1)))
            }
            let channel = EmbeddedChannel(handler: BackendConnection(), loop: loop)
            channel.connect(to: try! SocketAddress(ipAddress: "127.0.0.1", port: 9), promise: nil)
            connections.append((backend, channel))
            return loop.makeSucceededFuture(channel)
        }
    }

    static func backend(_ id: String) -> Backend {
        Backend(id: id, host: "10.0.0.\(id.utf8.first! % 200)", port: 80)
    }

    func setBackends(_ ids: [String]) {
        shared.withLockedValue {
            $0.generation += 1
            $0.services = [BackendSnapshot.singleService: ids.map(Self.backend)]
        }
    }

    /// A new client connection.
    func client() -> EmbeddedChannel {
        let channel = EmbeddedChannel(handlers: [ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)),
                                                 FrontendHandler(pool: pool)], loop: loop)
        channel.connect(to: try! SocketAddress(ipAddress: "192.0.2.7", port: 40000), promise: nil)
        return channel
    }

    /// The newest connection to backend `id`.
    func connection(to id: String) -> EmbeddedChannel? {
        connections.last { $0.backend.id == id }?.channel
    }
}

extension EmbeddedChannel {
    /// Everything written to this channel's peer so far, as text.
    func written() throws -> String {
        var text = ""
        while let buffer = try readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    /// Sends `text` as if it came from the peer.
    func receive(_ text: String) throws {
        try writeInbound(ByteBuffer(string: text))
    }
}
