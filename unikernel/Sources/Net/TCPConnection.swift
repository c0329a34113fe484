/// What an application is told about one TCP connection. Callbacks run in the main loop.
public protocol TCPConnectionDelegate: AnyObject {
    /// Data arrived, the peer closed its side, or sent data was acknowledged (room to write).
    func tcpConnectionDidReceive(_ connection: TCPConnection)
    /// The connection is gone (closed, reset or timed out); it must not be used any more.
    func tcpConnectionDidClose(_ connection: TCPConnection)
    /// Called about four times a second, for the application's own timeouts.
    func tcpConnectionTimer(_ connection: TCPConnection, now: UInt64)
}

/// One TCP connection accepted by a listener (RFC 9293 state machine, RFC 6298 retransmission
/// timer with exponential backoff, RFC 5681 slow start and fast retransmit).
public final class TCPConnection {
    /// RFC 9293 states (LISTEN lives in the listener; CLOSED means removed).
    public enum State { case synReceived, established, closeWait, lastAck, finWait1, finWait2, closing, timeWait, closed }

    static let receiveCapacity = 65535
    static let maxOutOfOrder = 32
    static let minRTO: UInt64 = 200
    static let maxRTO: UInt64 = 60_000
    static let maxRetries = 12
    static let maxSynRetries = 5
    /// TIME-WAIT lasts this long (a short 2*MSL, as unikernels and many stacks use).
    static let timeWaitDuration: UInt64 = 4000
    /// A connection whose peer never sends its FIN is dropped after this long in FIN-WAIT-2.
    static let finWait2Timeout: UInt64 = 30_000

    public let remoteAddress: IPv4Address
    public let remotePort: UInt16
    public let localPort: UInt16
    public private(set) var state: State = .synReceived
    /// Where the application hears about this connection.
    public var delegate: TCPConnectionDelegate?
    let tcp: TCP

    // Send side.
    var iss: UInt32 = 0
    var sndUna: UInt32 = 0
    var sndNxt: UInt32 = 0
    var sndWnd: UInt32 = 0
    var sndWl1: UInt32 = 0
    var sndWl2: UInt32 = 0
    var sendBuffer = ByteQueue()
    var finQueued = false
    var finSent = false
    var mss = 536
    var cwnd = 0
    var ssthresh = 65535
    var dupAcks = 0

    // Receive side.
    var irs: UInt32 = 0
    var rcvNxt: UInt32 = 0
    var inbox = ByteQueue()
    var outOfOrder: [(seq: UInt32, bytes: [UInt8], fin: Bool)] = []
    var finReceived = false
    var advertisedWindow = 0

    // Timers (milliseconds since boot; 0 = off).
    var rto: UInt64 = 1000
    var srtt: UInt64 = 0
    var rttvar: UInt64 = 0
    var rttSeq: UInt32 = 0
    var rttStart: UInt64 = 0
    var rttTiming = false
    var retransmitAt: UInt64 = 0
    var retries = 0
    var closeAt: UInt64 = 0

    // Main-loop bookkeeping.
    var ackNeeded = false
    var notifyApp = false
    var queued = false
    var closedNotified = false
    var accepted = false

    init(tcp: TCP, remote: IPv4Address, remotePort: UInt16, localPort: UInt16) {
        self.tcp = tcp
        remoteAddress = remote
        self.remotePort = remotePort
        self.localPort = localPort
    }

    // MARK: Application interface

    /// Bytes received and not yet read.
    public var available: Int { inbox.count }
    /// Bytes written and not yet acknowledged by the peer.
    public var unacknowledged: Int { sendBuffer.count }
    /// Whether the peer has closed its side (no more data will arrive).
    public var peerClosed: Bool { finReceived }
    /// Whether the application may still write.
    public var writable: Bool { !finQueued && (state == .established || state == .closeWait) }

    /// Takes every received byte.
    public func read() -> [UInt8] {
        let bytes = inbox.takeAll()
        windowOpened()
        return bytes
    }

    /// Takes received bytes, appending them to `buffer`.
    public func read(into buffer: inout [UInt8]) {
        guard !inbox.isEmpty else { return }
        inbox.withBytes { buffer.append(contentsOf: $0) }
        inbox.removeFirst(inbox.count)
        windowOpened()
    }

    /// Queues bytes to send.
    public func write(_ bytes: [UInt8]) {
        guard writable, !bytes.isEmpty else { return }
        sendBuffer.append(bytes)
        tcp.schedule(self)
    }

    /// Queues the UTF-8 bytes of `text` to send.
    public func write(_ text: String) {
        guard writable else { return }
        var t = text
        t.withUTF8 { b in if let base = b.baseAddress { sendBuffer.append(base, b.count) } }
        tcp.schedule(self)
    }

    /// Closes our side after everything written is sent (FIN).
    public func close() {
        switch state {
        case .established: state = .finWait1
        case .closeWait: state = .lastAck
        default: return
        }
        finQueued = true
        tcp.schedule(self)
    }

    /// Resets the connection at once (RST); buffered data is dropped.
    public func abort() {
        guard state != .closed else { return }
        tcp.sendSegment(to: remoteAddress, sourcePort: localPort, destinationPort: remotePort,
                        seq: sndNxt, ack: rcvNxt, flags: TCPSegment.rst | TCPSegment.ack, window: 0)
        tcp.stack.stats.tcpResetsSent += 1
        enterClosed()
    }

    // MARK: Segment arrival (RFC 9293 §3.10.7.4)

    var receiveWindow: Int { max(0, TCPConnection.receiveCapacity - inbox.count) }

    func start(_ seg: TCPSegment, now: UInt64) {
        irs = seg.seq
        rcvNxt = seg.seq &+ 1
        iss = kernel_random32()
        sndUna = iss
        sndNxt = iss &+ 1
        sndWnd = UInt32(seg.window)
        sndWl1 = seg.seq
        sndWl2 = iss
        mss = max(64, min(seg.mss ?? 536, tcp.stack.mtu - 40))
        cwnd = 10 * mss
        sendSynAck()
        retransmitAt = now + rto
    }

    func sendSynAck() {
        advertisedWindow = receiveWindow
        tcp.sendSegment(to: remoteAddress, sourcePort: localPort, destinationPort: remotePort, seq: iss, ack: rcvNxt,
                        flags: TCPSegment.syn | TCPSegment.ack, window: advertisedWindow, mss: tcp.stack.mtu - 40)
    }

    func arrive(_ seg: TCPSegment, now: UInt64) {
        if state == .synReceived && seg.has(TCPSegment.syn) && !seg.has(TCPSegment.ack) && seg.seq == irs {
            sendSynAck()                                    // our SYN-ACK was lost
            return
        }
        // 1. Sequence number check.
        let wnd = UInt32(receiveWindow)
        let len = seg.sequenceLength
        var acceptable: Bool
        if len == 0 {
            acceptable = wnd == 0 ? seg.seq == rcvNxt : (seqGE(seg.seq, rcvNxt) && seqLT(seg.seq, rcvNxt &+ wnd))
        } else {
            acceptable = wnd != 0 && ((seqGE(seg.seq, rcvNxt) && seqLT(seg.seq, rcvNxt &+ wnd)) ||
                (seqGE(seg.seq &+ len &- 1, rcvNxt) && seqLT(seg.seq &+ len &- 1, rcvNxt &+ wnd)))
        }
        if !acceptable && len > 0 && seqLT(seg.seq, rcvNxt) && seqGT(seg.seq &+ len, rcvNxt) {
            acceptable = true                               // overlaps: the new part is kept
        }
        guard acceptable else {
            if !seg.has(TCPSegment.rst) { requestAck() }
            if state == .timeWait && seg.has(TCPSegment.fin) { closeAt = now + TCPConnection.timeWaitDuration }
            return
        }
        // 2. RST: exact match resets; elsewhere in the window, a challenge ACK (RFC 5961).
        if seg.has(TCPSegment.rst) {
            if seg.seq == rcvNxt { enterClosed() } else { requestAck() }
            return
        }
        // 4. A SYN in a synchronized state: challenge ACK.
        if seg.has(TCPSegment.syn) {
            requestAck()
            return
        }
        // 5. ACK.
        guard seg.has(TCPSegment.ack) else { return }
        if state == .synReceived {
            guard seg.ackNumber == sndNxt else {
                tcp.sendSegment(to: remoteAddress, sourcePort: localPort, destinationPort: remotePort,
                                seq: seg.ackNumber, ack: 0, flags: TCPSegment.rst, window: 0)
                return
            }
            state = .established
            sndUna = seg.ackNumber
            sndWnd = UInt32(seg.window)
            sndWl1 = seg.seq
            sndWl2 = seg.ackNumber
            retransmitAt = 0
            retries = 0
            tcp.establish(self)
        }
        processAck(seg, now: now)
        if state == .closed { return }
        // 7. Data.
        if seg.payloadLength > 0 || seg.has(TCPSegment.fin) {
            switch state {
            case .established, .finWait1, .finWait2:
                receiveData(seg)
            case .timeWait:
                if seg.has(TCPSegment.fin) { closeAt = now + TCPConnection.timeWaitDuration }
                requestAck()
            default:
                requestAck()
            }
        }
    }

    private func processAck(_ seg: TCPSegment, now: UInt64) {
        let ack = seg.ackNumber
        if seqGT(ack, sndNxt) {
            requestAck()                                    // acknowledges what we never sent
            return
        }
        if seqGE(seg.seq, sndWl1) && (seg.seq != sndWl1 || seqGE(ack, sndWl2)) {
            let opened = sndWnd == 0 && seg.window > 0
            let same = UInt32(seg.window) == sndWnd
            sndWnd = UInt32(seg.window)
            sndWl1 = seg.seq
            sndWl2 = ack
            if opened { tcp.schedule(self) }
            if !same { dupAcks = 0 }
        }
        if seqGT(ack, sndUna) {
            var acked = Int(ack &- sndUna)
            var finAcked = false
            if finSent && ack == sndNxt {
                finAcked = true
                acked -= 1
            }
            sendBuffer.removeFirst(acked)
            sndUna = ack
            if rttTiming && seqGE(ack, rttSeq) {
                rttTiming = false
                sampleRTT(now &- rttStart)
            }
            if cwnd < ssthresh { cwnd += min(acked, mss) } else { cwnd += max(1, mss * mss / cwnd) }
            cwnd = min(cwnd, 1 << 20)
            dupAcks = 0
            retries = 0
            retransmitAt = sndUna == sndNxt ? 0 : now + rto
            notifyApp = true
            tcp.schedule(self)
            if finAcked {
                switch state {
                case .finWait1:
                    state = .finWait2
                    closeAt = now + TCPConnection.finWait2Timeout
                case .closing: enterTimeWait(now)
                case .lastAck: enterClosed()
                default: break
                }
            }
        } else if ack == sndUna && seg.payloadLength == 0 && !seg.has(TCPSegment.fin) && sndNxt != sndUna {
            dupAcks += 1
            if dupAcks == 3 {
                // Fast retransmit (RFC 5681 §3.2) of the first unacknowledged segment.
                let flight = Int(sndNxt &- sndUna)
                ssthresh = max(flight / 2, 2 * mss)
                cwnd = ssthresh
                tcp.stack.stats.tcpRetransmissions += 1
                retransmitFirst()
            }
        }
    }

    private func receiveData(_ seg: TCPSegment) {
        var seq = seg.seq
        var p = seg.payload
        var n = seg.payloadLength
        var fin = seg.has(TCPSegment.fin)
        if seqLT(seq, rcvNxt) {
            let skip = Int(rcvNxt &- seq)
            if skip >= n {
                if !(fin && skip == n) { requestAck(); return }
                n = 0
            } else {
                p += skip
                n -= skip
            }
            seq = rcvNxt
        }
        let room = receiveWindow
        if Int(seq &- rcvNxt) + n > room {
            n = max(0, room - Int(seq &- rcvNxt))
            fin = false
        }
        if seq == rcvNxt {
            if n > 0 { inbox.append(p, n) }
            rcvNxt = rcvNxt &+ UInt32(n)
            if fin { receiveFIN() } else { drainOutOfOrder() }
            notifyApp = true
        } else if outOfOrder.count < TCPConnection.maxOutOfOrder && (n > 0 || fin) {
            var exists = false
            for o in outOfOrder where o.seq == seq && o.bytes.count >= n { exists = true }
            if !exists { outOfOrder.append((seq, Array(UnsafeRawBufferPointer(start: p, count: n)), fin)) }
        }
        requestAck()
    }

    private func drainOutOfOrder() {
        var progress = true
        while progress && !outOfOrder.isEmpty && !finReceived {
            progress = false
            var i = 0
            while i < outOfOrder.count {
                let o = outOfOrder[i]
                let end = o.seq &+ UInt32(o.bytes.count)
                if seqLE(o.seq, rcvNxt) {
                    outOfOrder.remove(at: i)
                    if seqGT(end, rcvNxt) || (o.fin && end == rcvNxt) {
                        let skip = Int(rcvNxt &- o.seq)
                        let fresh = o.bytes.count - skip
                        if fresh > 0 && fresh <= receiveWindow {
                            inbox.append(o.bytes[skip...])
                            rcvNxt = end
                        }
                        if o.fin && rcvNxt == end { receiveFIN(); return }
                        progress = true
                    }
                } else {
                    i += 1
                }
            }
        }
    }

    private func receiveFIN() {
        finReceived = true
        rcvNxt = rcvNxt &+ 1
        outOfOrder.removeAll()
        notifyApp = true
        switch state {
        case .established: state = .closeWait
        case .finWait1: state = .closing
        case .finWait2: enterTimeWait(Clock.milliseconds)
        default: break
        }
    }

    private func sampleRTT(_ r: UInt64) {
        if srtt == 0 {
            srtt = r
            rttvar = r / 2
        } else {
            let delta = srtt > r ? srtt - r : r - srtt
            rttvar = (3 * rttvar + delta) / 4
            srtt = (7 * srtt + r) / 8
        }
        rto = min(max(srtt + max(10, 4 * rttvar), TCPConnection.minRTO), TCPConnection.maxRTO)
    }

    // MARK: Output

    func requestAck() {
        ackNeeded = true
        tcp.schedule(self)
    }

    private func windowOpened() {
        let now = receiveWindow
        if advertisedWindow < 2 * mss && now >= 2 * mss { requestAck() }
    }

    /// Sends what the windows allow: new data, then our FIN once everything is sent.
    func output(now: UInt64, probe: Bool = false) {
        switch state {
        case .established, .closeWait, .finWait1, .closing, .lastAck: break
        default: return
        }
        var window = min(Int(sndWnd), cwnd)
        if window == 0 && probe && sndNxt == sndUna { window = 1 }
        while true {
            let inFlight = Int(sndNxt &- sndUna)
            let unsent = sendBuffer.count - inFlight
            guard !finSent, unsent > 0, window > inFlight else { break }
            let n = min(mss, unsent, window - inFlight)
            sendData(offset: inFlight, count: n, seq: sndNxt, push: n == unsent)
            if !rttTiming {
                rttTiming = true
                rttSeq = sndNxt &+ UInt32(n)
                rttStart = now
            }
            sndNxt = sndNxt &+ UInt32(n)
            if retransmitAt == 0 { retransmitAt = now + rto }
        }
        if finQueued && !finSent && Int(sndNxt &- sndUna) == sendBuffer.count {
            finSent = true
            sendControl(seq: sndNxt, flags: TCPSegment.fin | TCPSegment.ack)
            sndNxt = sndNxt &+ 1
            if retransmitAt == 0 { retransmitAt = now + rto }
        }
        if sndWnd == 0 && sendBuffer.count > Int(sndNxt &- sndUna) && retransmitAt == 0 {
            retransmitAt = now + rto                        // persist timer: probe the zero window
        }
    }

    private func sendData(offset: Int, count: Int, seq: UInt32, push: Bool) {
        advertisedWindow = receiveWindow
        ackNeeded = false
        let buffer = sendBuffer
        tcp.sendSegment(to: remoteAddress, sourcePort: localPort, destinationPort: remotePort, seq: seq, ack: rcvNxt,
                        flags: TCPSegment.ack | (push ? TCPSegment.psh : 0), window: advertisedWindow,
                        payloadCount: count) { p in buffer.copy(from: offset, count: count, to: p) }
    }

    func sendControl(seq: UInt32, flags: UInt8) {
        advertisedWindow = receiveWindow
        ackNeeded = false
        tcp.sendSegment(to: remoteAddress, sourcePort: localPort, destinationPort: remotePort, seq: seq, ack: rcvNxt,
                        flags: flags, window: advertisedWindow)
    }

    /// Resends the first unacknowledged segment (or the FIN).
    private func retransmitFirst() {
        let n = min(mss, sendBuffer.count)
        if n > 0 {
            sendData(offset: 0, count: n, seq: sndUna, push: n == sendBuffer.count)
        } else if finSent {
            sendControl(seq: sndUna, flags: TCPSegment.fin | TCPSegment.ack)
        }
    }

    /// Timers: retransmission (and SYN-ACK, persist), TIME-WAIT, FIN-WAIT-2.
    func timer(now: UInt64) {
        if closeAt != 0 && now >= closeAt && (state == .timeWait || state == .finWait2) {
            enterClosed()
            return
        }
        guard retransmitAt != 0 && now >= retransmitAt else { return }
        retries += 1
        rto = min(rto * 2, TCPConnection.maxRTO)
        tcp.stack.stats.tcpRetransmissions += 1
        if state == .synReceived {
            if retries > TCPConnection.maxSynRetries { enterClosed(); return }
            sendSynAck()
            retransmitAt = now + rto
            return
        }
        if retries > TCPConnection.maxRetries {
            abort()
            return
        }
        let inFlight = Int(sndNxt &- sndUna)
        if inFlight > 0 {
            ssthresh = max(inFlight / 2, 2 * mss)
            cwnd = mss
            rttTiming = false
            // Go back: everything unacknowledged is sent again.
            sndNxt = sndUna
            finSent = false
        }
        retransmitAt = 0
        output(now: now, probe: true)
        if retransmitAt == 0 && (sndNxt != sndUna) { retransmitAt = now + rto }
    }

    private func enterTimeWait(_ now: UInt64) {
        state = .timeWait
        closeAt = now + TCPConnection.timeWaitDuration
        retransmitAt = 0
    }

    func enterClosed() {
        state = .closed
        retransmitAt = 0
        tcp.schedule(self)
    }
}
