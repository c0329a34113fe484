/// Sending (data within the peer's and the congestion window, FIN, ACKs) and the timers
/// (retransmission with backoff, zero-window probes, TIME-WAIT, FIN-WAIT-2).
extension TCPConnection {
    func requestAck() {
        ackNeeded = true
        tcp.schedule(self)
    }

    func windowOpened() {
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

    func sendData(offset: Int, count: Int, seq: UInt32, push: Bool) {
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
    func retransmitFirst() {
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

    func enterTimeWait(_ now: UInt64) {
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
