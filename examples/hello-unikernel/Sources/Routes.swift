/// The example's routes.
final class HelloApp {
    let config: AppConfig
    let network: NetworkStack
    private var requests = 0

    init(config: AppConfig, network: NetworkStack) {
        self.config = config
        self.network = network
    }

    var instanceName: String {
        if let n = config.name { return n }
        if let h = network.hostName { return h }
        var s = "hello-"
        for i in 3..<6 { s += hexByte(UInt8(truncatingIfNeeded: network.mac.value >> UInt64(40 - 8 * i))) }
        return s
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        requests += 1
        if let limit = config.crashAfter, requests > limit {
            print("hello-unikernel: crash-after=\(limit) reached, crashing on purpose")
            fatalError()
        }
        guard request.methodIs("GET") || request.methodIs("HEAD") else {
            var r = HTTPResponse.text("405 Method Not Allowed\n", status: 405)
            r.headers.append(("Allow", "GET, HEAD"))
            return r
        }
        if request.pathIs("/") {
            return .html("""
                <!doctype html>
                <html><head><title>hello-unikernel</title></head>
                <body><h1>Hello from a Swift unikernel</h1>
                <p>app: hello-unikernel</p>
                <p>version: \(config.version)</p>
                <p>instance: \(instanceName)</p>
                </body></html>

                """)
        }
        if request.pathIs("/health") {
            return config.healthFails ? .text("failing (health=fail)\n", status: 503) : .text("ok")
        }
        if request.pathIs("/version") {
            return .text("\(config.version)\n")
        }
        if request.pathIs("/burn") {
            let ms = min(request.queryItem("ms").flatMap { KernelCommandLine.decimal($0.utf8) } ?? 100, 10_000)
            Clock.spin(milliseconds: UInt64(ms))
            return .text("burned \(ms) ms\n")
        }
        if request.pathIs("/stats") {
            let s = network.stats
            return HTTPResponse(contentType: "application/json", body: """
                {"heap_used":\(Heap.usedBytes),"heap_peak":\(Heap.peakBytes),"heap_capacity":\(Heap.capacity),\
                "requests":\(requests),"tcp_connections":\(network.tcp.connectionCount),\
                "frames_received":\(s.framesReceived),"frames_sent":\(s.framesSent),"malformed":\(s.malformed),\
                "fragments":\(s.fragments),"ignored":\(s.ignored),"arp_replies":\(s.arpRequestsAnswered),\
                "icmp_echo_replies":\(s.icmpEchoesAnswered),"tcp_resets_sent":\(s.tcpResetsSent),\
                "tcp_retransmissions":\(s.tcpRetransmissions),"tcp_accepted":\(s.tcpConnectionsAccepted),\
                "tcp_refused":\(s.tcpConnectionsRefused),"uptime_ms":\(Clock.milliseconds)}

                """)
        }
        return .text("404 Not Found\n", status: 404)
    }
}
