/// The legacy (transitional) virtio network device, PCI 1af4:1000, as QEMU and GCE present it.
///
/// - Registers in I/O space at BAR0 (virtio 1.x §4.1.4.8); device configuration (MAC, status)
///   at offset 0x14 because MSI-X stays off.
/// - Features negotiated explicitly: MAC and STATUS only (so no mergeable buffers: a
///   10-byte header precedes every frame).
/// - Queue sizes are whatever the device reports (256 in QEMU by default, 1024 with
///   `rx_queue_size=1024`, 4096 on GCE); at most `maxReceiveBuffers` receive buffers are posted.
/// - One descriptor per buffer, receive and transmit: header and frame together.
/// - Interrupts on the legacy INTx line, acknowledged by reading the ISR register.
public final class VirtioNet {
    static let vendor: UInt16 = 0x1AF4
    static let legacyNetDevice: UInt16 = 0x1000
    static let featureMAC: UInt32 = 1 << 5
    static let featureStatus: UInt32 = 1 << 16
    static let headerSize = 10
    static let bufferSize = 2048
    /// The largest Ethernet frame (without FCS) this driver sends or receives.
    public static let maxFrame = bufferSize - headerSize
    static let maxReceiveBuffers = 512

    let io: UInt16
    /// The device's MAC address.
    public let mac: MACAddress
    /// The PIC interrupt line.
    public let interruptLine: Int
    let rx: Virtqueue
    let tx: Virtqueue
    private let rxBuffers: UnsafeMutableRawPointer
    private let txBuffers: UnsafeMutableRawPointer
    private var txFree: [UInt16] = []
    private var txQueued = false
    private var rxReposted = false
    /// Frames dropped because every transmit descriptor was in flight.
    public private(set) var transmitDrops = 0

    /// Finds and starts the first legacy virtio-net device; nil if there is none.
    public static func probe() -> VirtioNet? {
        guard let device = PCI.find(vendor: vendor, device: legacyNetDevice), let io = device.ioBase(bar: 0) else { return nil }
        device.enableIOAndBusMastering()
        return VirtioNet(device: device, io: io)
    }

    private init(device: PCIDevice, io: UInt16) {
        self.io = io
        interruptLine = device.interruptLine
        outb(io + 0x12, 0)                                  // reset
        outb(io + 0x12, 1 | 2)                              // ACKNOWLEDGE | DRIVER
        let offered = inl(io + 0x00)
        outl(io + 0x04, offered & (VirtioNet.featureMAC | VirtioNet.featureStatus))
        var m: UInt64 = 0
        for i in 0..<6 { m = m << 8 | UInt64(inb(io + 0x14 + UInt16(i))) }
        mac = MACAddress(m)

        outw(io + 0x0E, 0)
        rx = Virtqueue(size: Int(inw(io + 0x0C)))
        outl(io + 0x08, rx.pageFrame)
        outw(io + 0x0E, 1)
        tx = Virtqueue(size: Int(inw(io + 0x0C)))
        outl(io + 0x08, tx.pageFrame)

        let rxCount = min(rx.size, VirtioNet.maxReceiveBuffers)
        rxBuffers = Heap.allocate(size: UInt(rxCount * VirtioNet.bufferSize), alignment: 4096)!
        for i in 0..<rxCount {
            rx.setDescriptor(i, address: rxBuffers + i * VirtioNet.bufferSize, length: VirtioNet.bufferSize, flags: Virtqueue.flagWrite)
            rx.offer(i)
        }
        rx.publish()
        let txCount = min(tx.size, 256)
        txBuffers = Heap.allocate(size: UInt(txCount * VirtioNet.bufferSize), alignment: 4096)!
        txBuffers.initializeMemory(as: UInt8.self, repeating: 0, count: txCount * VirtioNet.bufferSize)
        txFree.reserveCapacity(txCount)
        for i in (0..<txCount).reversed() {
            tx.setDescriptor(i, address: txBuffers + i * VirtioNet.bufferSize, length: 0, flags: 0)
            txFree.append(UInt16(i))
        }
        outb(io + 0x12, 1 | 2 | 4)                          // DRIVER_OK
        outw(io + 0x10, 0)                                  // receive buffers are ready
    }

    /// The port whose read acknowledges the device's interrupt (ISR status).
    public var interruptStatusPort: UInt16 { io + 0x13 }

    /// Whether the link is up (always true unless the device offers STATUS and says down).
    public var linkUp: Bool { inw(io + 0x14 + 6) & 1 == 1 }

    /// Whether received frames or completed transmissions wait.
    public var hasWork: Bool { rx.hasUsed || (tx.hasUsed && txFree.isEmpty) }

    /// Hands each received frame (without the virtio header) to `body`, then returns the
    /// buffers to the device. Returns how many frames there were (at most `limit`).
    @discardableResult
    public func receive(limit: Int = 64, _ body: (UnsafeMutableRawPointer, Int) -> Void) -> Int {
        var n = 0
        while n < limit, let used = rx.takeUsed() {
            n += 1
            guard used.index < min(rx.size, VirtioNet.maxReceiveBuffers) else { continue }
            let buffer = rxBuffers + used.index * VirtioNet.bufferSize
            let length = min(used.length, VirtioNet.bufferSize) - VirtioNet.headerSize
            if length > 0 { body(buffer + VirtioNet.headerSize, length) }
            rx.offer(used.index)
            rxReposted = true
        }
        return n
    }

    /// Sends one frame that `build` writes into a buffer of `maxFrame` bytes, returning its
    /// length (0: nothing to send). Returns false if no transmit buffer was free.
    @discardableResult
    public func transmit(_ build: (UnsafeMutableRawPointer) -> Int) -> Bool {
        if txFree.isEmpty { reclaim() }
        guard let index = txFree.popLast() else {
            transmitDrops += 1
            return false
        }
        let buffer = txBuffers + Int(index) * VirtioNet.bufferSize
        let length = build(buffer + VirtioNet.headerSize)
        guard length > 0 && length <= VirtioNet.maxFrame else {
            txFree.append(index)
            return false
        }
        tx.setLength(Int(index), length + VirtioNet.headerSize)
        tx.offer(Int(index))
        txQueued = true
        return true
    }

    /// Publishes queued transmissions and re-posted receive buffers, and notifies the device.
    public func flush() {
        if txQueued {
            txQueued = false
            tx.publish()
            if !tx.deviceSuppressesNotifications { outw(io + 0x10, 1) }
        }
        if rxReposted {
            rxReposted = false
            rx.publish()
            if !rx.deviceSuppressesNotifications { outw(io + 0x10, 0) }
        }
        reclaim()
    }

    private func reclaim() {
        while let used = tx.takeUsed() {
            if used.index < min(tx.size, 256) { txFree.append(UInt16(used.index)) }
        }
    }
}
