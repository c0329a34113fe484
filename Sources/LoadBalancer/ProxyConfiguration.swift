/// Settings of one ``ReverseProxy`` (one global forwarding rule and its backend service).
public struct ProxyConfiguration: Sendable {
    /// Address to listen on. Loopback unless the operator asks otherwise.
    public var host: String
    /// Port to listen on; 0 picks a free one (``ReverseProxy/start()`` returns it).
    public var port: Int
    /// Longest wait for a TCP connection to a backend. A QEMU user-networking forward has a listen
    /// backlog of 1, so under a burst of new connections a SYN may wait for its 1 s retransmission:
    /// a bounded connect plus a retry elsewhere keeps such tails short.
    public var connectTimeout: Duration
    /// The backend service's `timeoutSec`: longest time from dispatching a request (including
    /// connecting and retries) until the backend's response is complete. Past it the client gets a
    /// 504 if no response byte has been relayed yet; otherwise its connection is closed.
    public var backendTimeout: Duration
    /// Idle keep-alive connections kept per backend *per event loop* (connections are pooled on the
    /// event loop that serves the client, so a request never hops threads).
    public var maxIdleConnectionsPerBackend: Int
    /// Extra attempts, each on another backend when there is one, for an idempotent request
    /// (GET, HEAD, PUT, DELETE, OPTIONS, TRACE) that failed before any response came back.
    public var retries: Int
    /// Request bodies are buffered whole (so a request can be retried) up to this size; larger
    /// requests get 413. Response bodies are streamed, never buffered.
    public var maxRequestBodySize: Int
    /// An idle client keep-alive connection is closed after this long (GCE's default is 610 s).
    public var clientIdleTimeout: Duration
    /// After a failed connect a backend is avoided for this long, as long as another one is available.
    public var connectFailureCooldown: Duration
    /// The listen backlog of the forwarding rule's socket.
    public var backlog: Int
    /// Added to the `Via` header of requests and responses.
    public var via: String

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        connectTimeout: Duration = .seconds(1),
        backendTimeout: Duration = .seconds(30),
        maxIdleConnectionsPerBackend: Int = 512,
        retries: Int = 2,
        maxRequestBodySize: Int = 8 << 20,
        clientIdleTimeout: Duration = .seconds(610),
        connectFailureCooldown: Duration = .seconds(1),
        backlog: Int = 1024,
        via: String = "1.1 sortie"
    ) {
        self.host = host
        self.port = port
        self.connectTimeout = connectTimeout
        self.backendTimeout = backendTimeout
        self.maxIdleConnectionsPerBackend = maxIdleConnectionsPerBackend
        self.retries = retries
        self.maxRequestBodySize = maxRequestBodySize
        self.clientIdleTimeout = clientIdleTimeout
        self.connectFailureCooldown = connectFailureCooldown
        self.backlog = backlog
        self.via = via
    }
}
