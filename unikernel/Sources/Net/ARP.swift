/// ARP (RFC 826) for IPv4 over Ethernet: a small cache, answers for our address, and requests
/// for addresses we need to send to.
struct ARPCache {
    struct Entry { var ip: IPv4Address; var mac: MACAddress; var updated: UInt64 }
    static let capacity = 64
    /// Entries expire after this many milliseconds (and are refreshed by traffic).
    static let lifetime: UInt64 = 300_000
    private(set) var entries: [Entry] = []

    func lookup(_ ip: IPv4Address, now: UInt64) -> MACAddress? {
        for e in entries where e.ip == ip && now &- e.updated < ARPCache.lifetime { return e.mac }
        return nil
    }

    mutating func update(_ ip: IPv4Address, _ mac: MACAddress, now: UInt64) {
        guard ip != .any, ip != .broadcast, mac != .broadcast, mac != .zero, mac.value & (1 << 40) == 0 else { return }
        for i in entries.indices where entries[i].ip == ip {
            entries[i].mac = mac
            entries[i].updated = now
            return
        }
        if entries.count >= ARPCache.capacity {
            var oldest = 0
            for i in entries.indices where entries[i].updated < entries[oldest].updated { oldest = i }
            entries.remove(at: oldest)
        }
        entries.append(Entry(ip: ip, mac: mac, updated: now))
    }
}

extension NetworkStack {
    /// An ARP packet (Ethernet payload at `p`, `length` bytes).
    func receiveARP(_ p: UnsafeRawPointer, _ length: Int, from sourceMAC: MACAddress) {
        guard length >= 28, p.be16(0) == 1, p.be16(2) == 0x0800, p.byte(4) == 6, p.byte(5) == 4 else {
            stats.malformed += 1
            return
        }
        let op = p.be16(6)
        let senderMAC = p.mac(8)
        let senderIP = IPv4Address(p.be32(14))
        let targetIP = IPv4Address(p.be32(24))
        guard op == 1 || op == 2 else { stats.malformed += 1; return }
        if address != .any && (targetIP == address || arp.lookup(senderIP, now: Clock.milliseconds) != nil) {
            arp.update(senderIP, senderMAC, now: Clock.milliseconds)
            releaseWaiting(for: senderIP, mac: senderMAC)
        }
        if op == 1 && address != .any && targetIP == address {
            stats.arpRequestsAnswered += 1
            sendARP(op: 2, targetMAC: senderMAC, targetIP: senderIP, to: senderMAC)
        }
    }

    /// Sends an ARP request (`op` 1) or reply (2).
    func sendARP(op: UInt16, targetMAC: MACAddress, targetIP: IPv4Address, to destination: MACAddress) {
        sendFrame(to: destination, type: 0x0806) { p in
            p.setBE16(0, 1)
            p.setBE16(2, 0x0800)
            p.setByte(4, 6)
            p.setByte(5, 4)
            p.setBE16(6, op)
            p.setMAC(8, mac)
            p.setBE32(14, address.value)
            p.setMAC(18, op == 1 ? .zero : targetMAC)
            p.setBE32(24, targetIP.value)
            return 28
        }
    }

    /// Where a packet for `ip` goes first: `ip` itself on our network, else the router.
    func nextHop(_ ip: IPv4Address) -> IPv4Address {
        (ip.value & netmask.value) == (address.value & netmask.value) || router == .any ? ip : router
    }

    /// The MAC address to send an IPv4 packet for `ip` to (the router's for other networks),
    /// or nil after sending an ARP request (rate limited) when it is not known yet.
    func resolve(_ ip: IPv4Address) -> MACAddress? {
        if ip == .broadcast || (netmask.value != 0 && ip.value == address.value | ~netmask.value) { return .broadcast }
        let hop = nextHop(ip)
        let now = Clock.milliseconds
        if let m = arp.lookup(hop, now: now) { return m }
        if now &- lastARPRequest >= 100 || lastARPTarget != hop {
            lastARPRequest = now
            lastARPTarget = hop
            sendARP(op: 1, targetMAC: .zero, targetIP: hop, to: .broadcast)
        }
        return nil
    }
}
