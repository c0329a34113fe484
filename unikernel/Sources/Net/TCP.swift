/// TCP: demultiplexing, passive open, resets for closed ports, timers, and the hand-off of
/// data to applications in the main loop.
public final class TCP {
    /// At most this many connections (in every state) at once; further SYNs are refused.
    public static let maxConnections = 1024

    var stack: NetworkStack! = nil
    private var connections = ConnectionTable()
    private var listeners: [(port: UInt16, accept: (TCPConnection) -> Void)] = []
    private var pending: [TCPConnection] = []
    private var lastAppTimer: UInt64 = 0
    /// Whether some connection has a retransmission (or SYN-ACK, or zero-window) timer running.
    public internal(set) var timersArmed = false

    init() {}

    /// Connections in every state.
    public var connectionCount: Int { connections.count }

    /// Accepts connections on `port`; `accept` runs once a connection is established and
    /// should set its delegate.
    public func listen(port: UInt16, accept: @escaping (TCPConnection) -> Void) {
        listeners.append((port, accept))
    }

    func receive(_ p: UnsafeRawPointer, _ length: Int, from source: IPv4Address, to destination: IPv4Address) {
        guard let seg = TCPSegment(p, length, source: source, destination: destination) else {
            stack.stats.malformed += 1
            return
        }
        let now = Clock.milliseconds
        let key = ConnectionTable.key(source, seg.sourcePort, seg.destinationPort)
        if let c = connections[key] {
            // A new SYN may reuse a tuple in TIME-WAIT when its sequence number is beyond the old one.
            if c.state == .timeWait && seg.has(TCPSegment.syn) && !seg.has(TCPSegment.ack) && seqGT(seg.seq, c.rcvNxt) {
                connections.remove(key)
            } else {
                c.arrive(seg, now: now)
                return
            }
        }
        if seg.has(TCPSegment.rst) { return }
        if seg.has(TCPSegment.syn) && !seg.has(TCPSegment.ack) && listeners.contains(where: { $0.port == seg.destinationPort }) {
            if connections.count >= TCP.maxConnections { recycleTimeWait() }
            guard connections.count < TCP.maxConnections else {
                stack.stats.tcpConnectionsRefused += 1
                return
            }
            let c = TCPConnection(tcp: self, remote: source, remotePort: seg.sourcePort, localPort: seg.destinationPort)
            connections.insert(c)
            c.start(seg, now: now)
            return
        }
        // No connection: RST (RFC 9293 §3.10.7.1).
        stack.stats.tcpResetsSent += 1
        if seg.has(TCPSegment.ack) {
            sendSegment(to: source, sourcePort: seg.destinationPort, destinationPort: seg.sourcePort,
                        seq: seg.ackNumber, ack: 0, flags: TCPSegment.rst, window: 0)
        } else {
            sendSegment(to: source, sourcePort: seg.destinationPort, destinationPort: seg.sourcePort,
                        seq: 0, ack: seg.seq &+ seg.sequenceLength, flags: TCPSegment.rst | TCPSegment.ack, window: 0)
        }
    }

    /// When the table is full, the connection in TIME-WAIT closest to its end makes room (many
    /// short connections closed by the server would otherwise lock new clients out for 4 s).
    private func recycleTimeWait() {
        var oldest: TCPConnection? = nil
        for c in connections.all where c.state == .timeWait && c.closeAt < (oldest?.closeAt ?? UInt64.max) { oldest = c }
        if let oldest { connections.remove(oldest.tableKey) }
    }

    /// A connection finished its handshake: hand it to its listener.
    func establish(_ c: TCPConnection) {
        stack.stats.tcpConnectionsAccepted += 1
        c.accepted = true
        for l in listeners where l.port == c.localPort {
            l.accept(c)
            break
        }
    }

    /// Marks a connection for the next `deliver()`.
    func schedule(_ c: TCPConnection) {
        guard !c.queued else { return }
        c.queued = true
        pending.append(c)
    }

    /// Tells applications about new data, sends what they wrote, and pure ACKs where needed.
    func deliver() {
        let now = Clock.milliseconds
        var rounds = 0
        while !pending.isEmpty && rounds < 4 {
            rounds += 1
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            for c in batch {
                c.queued = false
                if c.state == .closed {
                    finish(c)
                    continue
                }
                if c.notifyApp {
                    c.notifyApp = false
                    c.delegate?.tcpConnectionDidReceive(c)
                }
                if c.state == .closed { finish(c); continue }
                c.output(now: now)
                if c.ackNeeded { c.sendControl(seq: c.sndNxt, flags: TCPSegment.ack) }
            }
        }
    }

    private func finish(_ c: TCPConnection) {
        connections.remove(c.tableKey)
        if !c.closedNotified {
            c.closedNotified = true
            let d = c.delegate
            c.delegate = nil
            d?.tcpConnectionDidClose(c)
        }
    }

    /// Runs connection timers; every 250 ms also the applications' timers.
    func timers(now: UInt64) {
        let appTimers = now &- lastAppTimer >= 250
        if appTimers { lastAppTimer = now }
        var armed = false
        for c in connections.all {
            c.timer(now: now)
            if appTimers && c.state != .closed { c.delegate?.tcpConnectionTimer(c, now: now) }
            if c.retransmitAt != 0 { armed = true }
        }
        timersArmed = armed
    }

    /// Sends one segment; `fill` writes `payloadCount` bytes of data.
    func sendSegment(to destination: IPv4Address, sourcePort: UInt16, destinationPort: UInt16, seq: UInt32, ack: UInt32,
                     flags: UInt8, window: Int, mss: Int? = nil, payloadCount: Int = 0,
                     fill: (UnsafeMutableRawPointer) -> Void = { _ in }) {
        let source = stack.address
        stack.sendIPv4(to: destination, protocol: 6) { p in
            let header = mss == nil ? 20 : 24
            p.setBE16(0, sourcePort)
            p.setBE16(2, destinationPort)
            p.setBE32(4, seq)
            p.setBE32(8, ack)
            p.setByte(12, UInt8(header / 4) << 4)
            p.setByte(13, flags)
            p.setBE16(14, UInt16(min(window, 65535)))
            p.setBE16(16, 0)
            p.setBE16(18, 0)
            if let mss {
                p.setByte(20, 2)
                p.setByte(21, 4)
                p.setBE16(22, UInt16(mss))
            }
            if payloadCount > 0 { fill(p + header) }
            let total = header + payloadCount
            let sum = Checksum.add(p, total, to: Checksum.pseudoHeader(source: source, destination: destination, protocol: 6, length: total))
            p.setBE16(16, Checksum.finish(sum))
            return total
        }
    }
}
