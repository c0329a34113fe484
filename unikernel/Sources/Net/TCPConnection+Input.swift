/// Segment arrival (RFC 9293 §3.10.7.4): sequence checks, RST and SYN handling, ACK
/// processing, in-order and out-of-order data, FIN.
extension TCPConnection {
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

    func processAck(_ seg: TCPSegment, now: UInt64) {
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

    func receiveData(_ seg: TCPSegment) {
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

    func drainOutOfOrder() {
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

    func receiveFIN() {
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

    func sampleRTT(_ r: UInt64) {
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
}
