/// IPv4 (RFC 791): receive checks and dispatch, and sending with ARP resolution.
extension NetworkStack {
    func receiveIPv4(_ p: UnsafeRawPointer, _ length: Int, from sourceMAC: MACAddress) {
        guard length >= 20, p.byte(0) >> 4 == 4 else { stats.malformed += 1; return }
        let headerLength = Int(p.byte(0) & 0xF) * 4
        let total = Int(p.be16(2))
        guard headerLength >= 20, total >= headerLength, total <= length,
              Checksum.verify(Checksum.add(p, headerLength)) else {
            stats.malformed += 1
            return
        }
        if p.be16(6) & 0x3FFF != 0 {
            stats.fragments += 1
            return
        }
        let proto = p.byte(9)
        let source = IPv4Address(p.be32(12))
        let destination = IPv4Address(p.be32(16))
        let subnetBroadcast = netmask.value != 0 && destination.value == address.value | ~netmask.value
        let forUs = destination == address && address != .any
        guard forUs || destination == .broadcast || subnetBroadcast || (address == .any && proto == 17) else {
            stats.ignored += 1
            return
        }
        if forUs && (source.value & netmask.value) == (address.value & netmask.value) {
            arp.update(source, sourceMAC, now: Clock.milliseconds)
        }
        let payload = p + headerLength
        let payloadLength = total - headerLength
        switch proto {
        case 1: if forUs { receiveICMP(payload, payloadLength, from: source) }
        case 6: if forUs { tcp.receive(payload, payloadLength, from: source, to: destination) } else { stats.ignored += 1 }
        case 17: receiveUDP(payload, payloadLength, from: source, to: destination)
        default: stats.ignored += 1
        }
    }

    /// Sends an IPv4 packet; `build` writes the payload and returns its length. When the next
    /// hop's MAC is not known yet, the packet waits (briefly, a few per address) for the ARP reply.
    /// False when it could not be sent or queued.
    @discardableResult
    func sendIPv4(to destination: IPv4Address, protocol proto: UInt8, from source: IPv4Address? = nil,
                  _ build: (UnsafeMutableRawPointer) -> Int) -> Bool {
        let src = source ?? address
        ipIdentification &+= 1
        let id = ipIdentification
        func write(_ p: UnsafeMutableRawPointer) -> Int {
            let n = build(p + 20)
            guard n > 0 else { return 0 }
            p.setByte(0, 0x45)
            p.setByte(1, 0)
            p.setBE16(2, UInt16(20 + n))
            p.setBE16(4, id)
            p.setBE16(6, 0x4000)
            p.setByte(8, 64)
            p.setByte(9, proto)
            p.setBE16(10, 0)
            p.setBE32(12, src.value)
            p.setBE32(16, destination.value)
            p.setBE16(10, Checksum.finish(Checksum.add(p, 20)))
            return 20 + n
        }
        if let next = resolve(destination) {
            return sendFrame(to: next, type: 0x0800, write)
        }
        let hop = nextHop(destination)
        var waiting = 0
        for w in waitingForARP where w.hop == hop { waiting += 1 }
        guard waiting < 4, waitingForARP.count < NetworkStack.maxWaiting else { return false }
        var packet = [UInt8](repeating: 0, count: VirtioNet.maxFrame - 14)
        let n = packet.withUnsafeMutableBytes { write($0.baseAddress!) }
        guard n > 0 else { return false }
        packet.removeLast(packet.count - n)
        waitingForARP.append((hop, packet, Clock.milliseconds))
        return true
    }

    /// Sends the packets that waited for `hop`'s MAC address; drops those waiting over a second.
    func releaseWaiting(for hop: IPv4Address, mac: MACAddress) {
        guard !waitingForARP.isEmpty else { return }
        let now = Clock.milliseconds
        var keep: [(hop: IPv4Address, packet: [UInt8], queued: UInt64)] = []
        for w in waitingForARP {
            if w.hop == hop {
                sendFrame(to: mac, type: 0x0800) { p in
                    w.packet.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                    return w.packet.count
                }
            } else if now &- w.queued < 1000 {
                keep.append(w)
            }
        }
        waitingForARP = keep
    }
}
