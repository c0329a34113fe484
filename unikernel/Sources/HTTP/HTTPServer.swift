/// An HTTP/1.1 server on one TCP port: keep-alive, pipelined requests answered in order,
/// `Content-Length` bodies, 400/413/431/501/505 for what it refuses, and timeouts so that
/// slow or idle clients only hold their own connection.
public final class HTTPServer {
    /// Answers one request. Runs in the main loop: a slow handler delays every connection.
    public typealias Handler = (HTTPRequest) -> HTTPResponse

    /// A request must be complete this long after its first byte (else 408 and close).
    public static let requestTimeout: UInt64 = 10_000
    /// An idle keep-alive connection is closed after this long (longer than the 600 s that
    /// Google's load balancers keep idle backend connections).
    public static let idleTimeout: UInt64 = 620_000
    /// Stop reading a connection's pipelined requests while this much of its output is unacknowledged.
    static let maxUnacknowledged = 256 * 1024

    let handler: Handler
    /// Requests answered (including refusals).
    public private(set) var requestsServed = 0
    /// Connections open now.
    public private(set) var openConnections = 0

    /// Serves `handler` on `port` of `tcp`.
    public init(tcp: TCP, port: UInt16, handler: @escaping Handler) {
        self.handler = handler
        tcp.listen(port: port) { [self] connection in
            openConnections += 1
            connection.delegate = HTTPSession(server: self, connection: connection)
        }
    }

    func answered() { requestsServed += 1 }
    func closed() { openConnections -= 1 }

    /// The bytes of a response: status line, headers, body (none for HEAD).
    static func serialize(_ r: HTTPResponse, keepAlive: Bool, head: Bool) -> [UInt8] {
        var w = ByteWriter(capacity: 160 + (head ? 0 : r.body.count))
        w.append("HTTP/1.1 ")
        w.append(decimal: r.status)
        w.append(" ")
        w.append(HTTPResponse.reason(r.status))
        w.append("\r\nContent-Type: ")
        w.append(r.contentType)
        w.append("\r\nContent-Length: ")
        w.append(decimal: r.body.count)
        w.append("\r\n")
        for h in r.headers {
            w.append(h.name)
            w.append(": ")
            w.append(h.value)
            w.append("\r\n")
        }
        w.append(keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n")
        if !head { w.append(r.body) }
        return w.bytes
    }
}

/// One connection's HTTP state.
final class HTTPSession: TCPConnectionDelegate {
    unowned(unsafe) let server: HTTPServer
    let connection: TCPConnection
    private var buffer: [UInt8] = []
    private var requestStarted: UInt64 = 0
    private var lastActivity: UInt64
    private var closing = false

    init(server: HTTPServer, connection: TCPConnection) {
        self.server = server
        self.connection = connection
        lastActivity = Clock.milliseconds
    }

    func tcpConnectionDidReceive(_ c: TCPConnection) {
        if closing {
            _ = c.read()
            return
        }
        if c.available > 0 {
            if buffer.isEmpty { requestStarted = Clock.milliseconds }
            c.read(into: &buffer)
            lastActivity = Clock.milliseconds
        }
        process()
        if c.peerClosed && !closing && (buffer.isEmpty || c.unacknowledged == 0) {
            closing = true
            c.close()
        }
    }

    private func process() {
        while !closing && !buffer.isEmpty && connection.unacknowledged < HTTPServer.maxUnacknowledged {
            let result = buffer.withUnsafeBytes { HTTPParser.parse($0) }
            switch result {
            case .incomplete:
                return
            case .failure(let status):
                respond(.error(status), keepAlive: false, head: false)
                return
            case .request(let request, let consumed):
                buffer.removeFirst(consumed)
                requestStarted = Clock.milliseconds
                var keepAlive = request.minorVersion == 1
                if request.header("connection", is: "close") { keepAlive = false }
                if request.header("connection", is: "keep-alive") { keepAlive = true }
                let response = server.handler(request)
                respond(response, keepAlive: keepAlive, head: request.methodIs("HEAD"))
            }
        }
    }

    private func respond(_ response: HTTPResponse, keepAlive: Bool, head: Bool) {
        server.answered()
        connection.write(HTTPServer.serialize(response, keepAlive: keepAlive, head: head))
        if !keepAlive {
            closing = true
            buffer = []
            connection.close()
        }
    }

    func tcpConnectionTimer(_ c: TCPConnection, now: UInt64) {
        guard !closing else { return }
        if !buffer.isEmpty && now &- requestStarted > HTTPServer.requestTimeout {
            respond(.error(408), keepAlive: false, head: false)
        } else if buffer.isEmpty && now &- lastActivity > HTTPServer.idleTimeout {
            closing = true
            c.close()
        }
    }

    func tcpConnectionDidClose(_ c: TCPConnection) {
        server.closed()
    }
}

extension HTTPResponse {
    /// A plain-text answer `NNN Reason` for an error status.
    static func error(_ status: Int) -> HTTPResponse {
        var w = ByteWriter(capacity: 40)
        w.append(decimal: status)
        w.append(" ")
        w.append(HTTPResponse.reason(status))
        w.append("\n")
        return HTTPResponse(status: status, body: w.bytes)
    }
}
