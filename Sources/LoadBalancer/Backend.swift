/// One healthy instance behind a forwarding rule: a QEMU guest whose serving port is forwarded to
/// `host:port` on the host (usually a loopback port).
///
/// Two backends are the same backend only if all three fields match: re-registering an `id` on a
/// new port replaces the old endpoint (which then drains) rather than redirecting its connections.
public struct Backend: Hashable, Sendable, CustomStringConvertible {
    /// A stable name (the instance name); used in ``ProxyStats`` and by ``ReverseProxy/drain(_:timeout:)``.
    public var id: String
    /// An IP address literal (resolved once) or a host name (resolved on every new connection).
    public var host: String
    public var port: Int

    public init(id: String, host: String = "127.0.0.1", port: Int) {
        self.id = id
        self.host = host
        self.port = port
    }

    public var description: String { "\(id)@\(host):\(port)" }
}
