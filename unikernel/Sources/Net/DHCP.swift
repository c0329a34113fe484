/// A DHCP client (RFC 2131, options from RFC 2132): discover, request, bound; renews at T1
/// (unicast to the server), rebinds at T2 (broadcast), starts over when the lease ends or on NAK.
/// Takes the address, subnet mask (1), router (3), host name (12), MTU (26), lease time (51)
/// and renewal times (58, 59).
final class DHCPClient {
    static let clientPort: UInt16 = 68
    static let serverPort: UInt16 = 67
    enum State { case selecting, requesting, bound, renewing, rebinding }

    private(set) var state = State.selecting
    private var xid: UInt32
    private var offered = IPv4Address.any
    private var server = IPv4Address.any
    private var nextSend: UInt64 = 0
    private var retryDelay: UInt64 = 500
    private var leaseStart: UInt64 = 0
    private var renewAt: UInt64 = 0
    private var rebindAt: UInt64 = 0
    private var expireAt: UInt64 = 0
    /// Leases obtained or renewed (1 after the first ACK).
    private(set) var acks = 0

    init() {
        xid = kernel_random32()
    }

    func timer(_ stack: NetworkStack, now: UInt64) {
        switch state {
        case .selecting, .requesting:
            if now >= nextSend { send(stack, now: now) }
        case .bound:
            if now >= renewAt {
                state = .renewing
                nextSend = now
            }
        case .renewing, .rebinding:
            if now >= expireAt {
                stack.address = .any
                state = .selecting
                nextSend = now
                retryDelay = 500
            } else {
                if state == .renewing && now >= rebindAt { state = .rebinding; nextSend = now }
                if now >= nextSend { send(stack, now: now) }
            }
        }
    }

    private func send(_ stack: NetworkStack, now: UInt64) {
        if state == .selecting || state == .requesting {
            nextSend = now + retryDelay
            retryDelay = min(retryDelay * 2, 8000)
        } else {
            // RFC 2131 4.4.5: half the time remaining until T2 (or the lease end), at least 1 s.
            let until = state == .renewing ? rebindAt : expireAt
            nextSend = now + max((until &- now) / 2, 1000)
        }
        let renewing = state == .renewing || state == .rebinding
        var msg = [UInt8](repeating: 0, count: 240)
        msg[0] = 1; msg[1] = 1; msg[2] = 6
        put32(&msg, 4, xid)
        if renewing {
            put32(&msg, 12, stack.address.value)              // ciaddr
        } else {
            msg[10] = 0x80                                     // broadcast replies
        }
        var mac: [UInt8] = []
        for i in 0..<6 { mac.append(UInt8(truncatingIfNeeded: stack.mac.value >> UInt64(40 - 8 * i))) }
        for i in 0..<6 { msg[28 + i] = mac[i] }
        put32(&msg, 236, 0x6382_5363)
        msg += [53, 1, state == .selecting ? 1 : 3]                        // message type
        msg += [61, 7, 1] + mac                                             // client identifier
        if state == .requesting {
            msg += [50, 4, 0, 0, 0, 0, 54, 4, 0, 0, 0, 0]                   // requested address, server
            put32(&msg, msg.count - 10, offered.value)
            put32(&msg, msg.count - 4, server.value)
        }
        msg += [55, 9, 1, 3, 6, 12, 26, 51, 54, 58, 59]                   // parameters wanted
        msg += [57, 2, 0x05, 0xDC, 255]                                    // max message size 1500, end
        while msg.count < 300 { msg.append(0) }
        let unicast = state == .renewing
        let destination = unicast ? server : IPv4Address.broadcast
        let source = renewing ? stack.address : IPv4Address.any
        msg.withUnsafeBytes { bytes in
            _ = stack.sendUDP(to: destination, from: source, sourcePort: DHCPClient.clientPort,
                              destinationPort: DHCPClient.serverPort, payload: bytes)
        }
    }

    private func put32(_ m: inout [UInt8], _ at: Int, _ v: UInt32) {
        m[at] = UInt8(v >> 24); m[at + 1] = UInt8((v >> 16) & 0xFF)
        m[at + 2] = UInt8((v >> 8) & 0xFF); m[at + 3] = UInt8(v & 0xFF)
    }

    /// A DHCP message (UDP payload) from a server.
    func receive(_ stack: NetworkStack, _ p: UnsafeRawPointer, _ length: Int) {
        guard length >= 240, p.byte(0) == 2, p.be32(4) == xid, p.be32(236) == 0x6382_5363,
              p.mac(28) == stack.mac else {
            stack.stats.ignored += 1
            return
        }
        var type: UInt8 = 0
        var serverID = IPv4Address.any
        var mask = IPv4Address.any
        var router = IPv4Address.any
        var mtu = 0
        var lease: UInt64 = 0
        var t1: UInt64 = 0
        var t2: UInt64 = 0
        var host: String? = nil
        var o = 240
        while o < length {
            let code = p.byte(o)
            if code == 255 { break }
            if code == 0 { o += 1; continue }
            guard o + 2 <= length else { break }
            let n = Int(p.byte(o + 1))
            guard o + 2 + n <= length else { stack.stats.malformed += 1; return }
            let v = p + o + 2
            switch code {
            case 53 where n >= 1: type = v.byte(0)
            case 54 where n >= 4: serverID = IPv4Address(v.be32(0))
            case 1 where n >= 4: mask = IPv4Address(v.be32(0))
            case 3 where n >= 4: router = IPv4Address(v.be32(0))
            case 26 where n >= 2: mtu = Int(v.be16(0))
            case 51 where n >= 4: lease = UInt64(v.be32(0))
            case 58 where n >= 4: t1 = UInt64(v.be32(0))
            case 59 where n >= 4: t2 = UInt64(v.be32(0))
            case 12 where n >= 1: host = String(decoding: UnsafeRawBufferPointer(start: v, count: n), as: UTF8.self)
            default: break
            }
            o += 2 + n
        }
        let yiaddr = IPv4Address(p.be32(16))
        let now = Clock.milliseconds
        switch (state, type) {
        case (.selecting, 2):                                  // OFFER
            guard yiaddr != .any else { return }
            offered = yiaddr
            server = serverID != .any ? serverID : IPv4Address(p.be32(20))
            state = .requesting
            retryDelay = 500
            send(stack, now: now)
        case (.requesting, 5), (.renewing, 5), (.rebinding, 5): // ACK
            guard yiaddr != .any else { return }
            let first = stack.address == .any
            stack.address = yiaddr
            if mask != .any { stack.netmask = mask } else if first { stack.netmask = IPv4Address(0xFFFF_FF00) }
            if router != .any { stack.router = router }
            if mtu >= 576 && mtu <= 1500 { stack.mtu = mtu }
            if let host { stack.hostName = host }
            if serverID != .any { server = serverID }
            let leaseSeconds = lease == 0 ? 3600 : (lease == 0xFFFF_FFFF ? 1 << 30 : lease)
            leaseStart = now
            expireAt = now + leaseSeconds * 1000
            renewAt = now + (t1 != 0 && t1 < leaseSeconds ? t1 : leaseSeconds / 2) * 1000
            rebindAt = now + (t2 != 0 && t2 < leaseSeconds ? t2 : leaseSeconds * 7 / 8) * 1000
            state = .bound
            acks += 1
            xid &+= 1
            if first { stack.onConfigured?() }
        case (.requesting, 6), (.renewing, 6), (.rebinding, 6): // NAK
            stack.address = .any
            state = .selecting
            retryDelay = 500
            nextSend = now
            xid &+= 1
        default:
            stack.stats.ignored += 1
        }
    }
}
