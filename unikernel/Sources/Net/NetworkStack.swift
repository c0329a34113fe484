/// The network stack over one virtio-net device: Ethernet, ARP, IPv4, ICMP echo, UDP, the
/// DHCP client and TCP. Single-threaded: the kernel's main loop calls `poll()` and `runTimers()`.
public final class NetworkStack {
    let device: VirtioNet
    /// Our MAC address.
    public let mac: MACAddress
    /// Our IPv4 address (`.any` until DHCP binds or a static address is set).
    public internal(set) var address: IPv4Address = .any
    /// The subnet mask (DHCP option 1).
    public internal(set) var netmask: IPv4Address = .any
    /// The default router (DHCP option 3; `.any` if none).
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
}
