/// The network stack over one virtio-net device: Ethernet, ARP, IPv4, ICMP echo, UDP, the
/// DHCP client and TCP. Single-threaded: the kernel's main loop calls `poll()` and `runTimers()`.
public final class NetworkStack {
    let device: VirtioNet
    /// Our MAC address.
    public let mac: MACAddress
    /// Our IPv4 address (`.any` until DHCP binds or a static address is set).
    public internal(set) var address: IPv4Address = .any
    public internal(set) var netmask: IPv4Address = .any
    public internal(set) var router: IPv4Address = .any
    /// The link MTU (DHCP option 26, default 1500).
    public internal(set) var mtu = 1500
    /// The host name the DHCP server gave (option 12), if any.
    public internal(set) var hostName: String? = nil
    /// Counters, for diagnostics and tests.
    public internal(set) var stats = NetworkStats()
    var arp = ARPCache()
    var lastARPRequest: UInt64 = 0
    var lastARPTarget: IPv4Address = .any
    var ipIdentification: UInt16 = 1
    /// IPv4 packets waiting for an ARP reply: next hop and the packet (at most `maxWaiting`).
    var waitingForARP: [(hop: IPv4Address, packet: [UInt8], queued: UInt64)] = []
    static let maxWaiting = 16
    var dhcp: DHCPClient? = nil
    /// TCP: connections and listeners.
    public let tcp: TCP
    private var lastTimerRun: UInt64 = 0
    /// Called once the stack has an address (DHCP bound or static).
    var onConfigured: (() -> Void)? = nil

    init(device: VirtioNet) {
        self.device = device
        mac = device.mac
        tcp = TCP()
        tcp.stack = self
    }

    /// Whether the device has frames or completions waiting.
    var hasWork: Bool { device.hasWork }

    /// Processes received frames, then lets TCP hand data to applications and send.
    func poll() {
        var rounds = 0
        while rounds < 8 {
            let n = device.receive { p, length in receiveFrame(UnsafeRawPointer(p), length) }
            tcp.deliver()
            device.flush()
            if n == 0 { break }
            rounds += 1
        }
    }

    /// Runs TCP and DHCP timers (at most every 10 ms; the clock interrupt comes every 20 ms).
    func runTimers() {
        let now = Clock.milliseconds
        guard now &- lastTimerRun >= 10 else { return }
        lastTimerRun = now
        dhcp?.timer(self, now: now)
        tcp.timers(now: now)
        tcp.deliver()
        device.flush()
    }

    /// Uses a fixed address instead of DHCP.
    func configureStatic(address: IPv4Address, prefixLength: Int, router: IPv4Address) {
        self.address = address
        netmask = IPv4Address(prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - min(prefixLength, 32)))
        self.router = router
        onConfigured?()
    }

    // MARK: Ethernet

    func receiveFrame(_ p: UnsafeRawPointer, _ length: Int) {
        stats.framesReceived += 1
        guard length >= 14 else { stats.malformed += 1; return }
        let destination = p.mac(0)
        guard destination == mac || destination == .broadcast else { stats.ignored += 1; return }
        let source = p.mac(6)
        switch p.be16(12) {
        case 0x0806: receiveARP(p + 14, length - 14, from: source)
        case 0x0800: receiveIPv4(p + 14, length - 14, from: source)
        default: stats.ignored += 1
        }
    }

    /// Sends one Ethernet frame whose payload `build` writes (returning its length; 0 cancels).
    @discardableResult
    func sendFrame(to destination: MACAddress, type: UInt16, _ build: (UnsafeMutableRawPointer) -> Int) -> Bool {
        let sent = device.transmit { p in
            p.setMAC(0, destination)
            p.setMAC(6, mac)
            p.setBE16(12, type)
            let n = build(p + 14)
            guard n > 0 else { return 0 }
            if n < 46 { (p + 14 + n).initializeMemory(as: UInt8.self, repeating: 0, count: 46 - n) }
            return 14 + max(n, 46)
        }
        if sent { stats.framesSent += 1 }
        return sent
    }

    // MARK: IPv4

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

    // MARK: ICMP

    func receiveICMP(_ p: UnsafeRawPointer, _ length: Int, from source: IPv4Address) {
        guard length >= 8, Checksum.verify(Checksum.add(p, length)) else { stats.malformed += 1; return }
        guard p.byte(0) == 8, p.byte(1) == 0 else { stats.ignored += 1; return }
        guard length + 20 <= mtu else { stats.ignored += 1; return }
        stats.icmpEchoesAnswered += 1
        sendIPv4(to: source, protocol: 1) { out in
            out.copyMemory(from: p, byteCount: length)
            out.setByte(0, 0)
            out.setBE16(2, 0)
            out.setBE16(2, Checksum.finish(Checksum.add(out, length)))
            return length
        }
    }

    // MARK: UDP

    func receiveUDP(_ p: UnsafeRawPointer, _ length: Int, from source: IPv4Address, to destination: IPv4Address) {
        guard length >= 8 else { stats.malformed += 1; return }
        let udpLength = Int(p.be16(4))
        guard udpLength >= 8, udpLength <= length else { stats.malformed += 1; return }
        if p.be16(6) != 0 {
            let sum = Checksum.add(p, udpLength, to: Checksum.pseudoHeader(source: source, destination: destination, protocol: 17, length: udpLength))
            guard Checksum.verify(sum) else { stats.malformed += 1; return }
        }
        let destinationPort = p.be16(2)
        if destinationPort == DHCPClient.clientPort, let client = dhcp {
            client.receive(self, p + 8, udpLength - 8)
        } else {
            stats.ignored += 1
        }
    }

    /// Sends a UDP datagram with `count` payload bytes from `payload`.
    @discardableResult
    func sendUDP(to destination: IPv4Address, from source: IPv4Address, sourcePort: UInt16, destinationPort: UInt16,
                 payload: UnsafeRawBufferPointer) -> Bool {
        let count = payload.count
        return sendIPv4(to: destination, protocol: 17, from: source) { p in
            p.setBE16(0, sourcePort)
            p.setBE16(2, destinationPort)
            p.setBE16(4, UInt16(8 + count))
            p.setBE16(6, 0)
            if let base = payload.baseAddress { (p + 8).copyMemory(from: base, byteCount: count) }
            var sum = Checksum.finish(Checksum.add(p, 8 + count, to: Checksum.pseudoHeader(source: source, destination: destination, protocol: 17, length: 8 + count)))
            if sum == 0 { sum = 0xFFFF }
            p.setBE16(6, sum)
            return 8 + count
        }
    }
}
