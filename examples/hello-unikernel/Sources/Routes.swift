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
        var w = ByteWriter(capacity: 12)
        w.append("hello-")
        for i in 3..<6 { w.append(hex: UInt8(truncatingIfNeeded: network.mac.value >> UInt64(40 - 8 * i))) }
        return String(decoding: w.bytes, as: UTF8.self)
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        requests += 1
        if let limit = config.crashAfter, requests > limit {
            print("hello-unikernel: crash-after=" + String(limit) + " reached, crashing on purpose")
            fatalError()
        }
        guard request.methodIs("GET") || request.methodIs("HEAD") else {
            var r = HTTPResponse.text("405 Method Not Allowed\n", status: 405)
            r.headers.append(("Allow", "GET, HEAD"))
            return r
        }
        if request.pathIs("/") {
            var w = ByteWriter(capacity: 300)
            w.append("<!doctype html>\n<html><head><title>hello-unikernel</title></head>\n")
            w.append("<body><h1>Hello from a Swift unikernel</h1>\n<p>app: hello-unikernel</p>\n<p>version: ")
            w.append(config.version)
            w.append("</p>\n<p>instance: ")
            w.append(instanceName)
            w.append("</p>\n</body></html>\n")
            return HTTPResponse(contentType: "text/html; charset=utf-8", body: w.bytes)
        }
        if request.pathIs("/health") {
            return config.healthFails ? .text("failing (health=fail)\n", status: 503) : .text("ok")
        }
        // Any path ending in /version, so load-balancer path rules (`/v2/*`) can be checked.
        if request.pathEnds(with: "/version") {
            return .text(config.version + "\n")
        }
        if request.pathIs("/burn") {
            let ms = min(request.queryItem("ms").flatMap { KernelCommandLine.decimal($0.utf8) } ?? 100, 10_000)
            Clock.spin(milliseconds: UInt64(ms))
            var w = ByteWriter(capacity: 24)
            w.append("burned ")
            w.append(decimal: ms)
            w.append(" ms\n")
            return HTTPResponse(body: w.bytes)
        }
        if request.pathIs("/stats") {
            return HTTPResponse(contentType: "application/json", body: statsJSON())
        }
        return .text("404 Not Found\n", status: 404)
    }

    /// Counters for tests and diagnostics, as one JSON object.
    func statsJSON() -> [UInt8] {
        let s = network.stats
        let fields: [(StaticString, UInt)] = [
            ("heap_used", Heap.usedBytes), ("heap_peak", Heap.peakBytes), ("heap_capacity", Heap.capacity),
            ("requests", UInt(requests)), ("tcp_connections", UInt(network.tcp.connectionCount)),
            ("frames_received", UInt(s.framesReceived)), ("frames_sent", UInt(s.framesSent)),
            ("malformed", UInt(s.malformed)), ("fragments", UInt(s.fragments)), ("ignored", UInt(s.ignored)),
            ("arp_replies", UInt(s.arpRequestsAnswered)), ("icmp_echo_replies", UInt(s.icmpEchoesAnswered)),
            ("tcp_resets_sent", UInt(s.tcpResetsSent)), ("tcp_retransmissions", UInt(s.tcpRetransmissions)),
            ("tcp_accepted", UInt(s.tcpConnectionsAccepted)), ("tcp_refused", UInt(s.tcpConnectionsRefused)),
            ("uptime_ms", UInt(Clock.milliseconds)),
        ]
        var w = ByteWriter(capacity: 512)
        w.append("{")
        for (i, f) in fields.enumerated() {
            w.append(i == 0 ? "\"" : ",\"")
            w.append(f.0)
            w.append("\":")
            w.append(decimal: f.1)
        }
        w.append("}\n")
        return w.bytes
    }
}
