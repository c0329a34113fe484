import NIOCore

/// One backend as seen by one event loop: its idle keep-alive connections and its outstanding
/// requests there. Confined to that event loop (see ``EventLoopPool``).
final class BackendSlot {
    let backend: Backend
    /// The backend's address when ``Backend/host`` is an IP literal (the usual case), so that
    /// connecting never waits for a resolver.
    let address: SocketAddress?
    /// Idle connections, most recently used last (reused first: the least likely to have been
    /// closed by the backend's idle timeout).
    var idle: [BackendConnection] = []
    /// Requests assigned to this backend on this event loop and not finished yet.
    var outstanding = 0
    /// False once the backend left the healthy set: it gets no new requests, in-flight ones finish.
    var active = true
    /// Until then the backend is avoided after a failed connect (while another one is available).
    var coolDownUntil = NIODeadline.uptimeNanoseconds(0)

    init(backend: Backend) {
        self.backend = backend
        self.address = try? SocketAddress(ipAddress: backend.host, port: backend.port)
    }

    func isCoolingDown(now: () -> NIODeadline) -> Bool {
        coolDownUntil.uptimeNanoseconds != 0 && coolDownUntil > now()
    }
}
