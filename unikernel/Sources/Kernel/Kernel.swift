/// Entry from boot/boot.S in long mode, with SSE on, the IDT loaded and interrupts off.
/// Sets up the console, heap, interrupt controllers and clock, then runs the application's
/// `unikernelMain(_:)` (which the application defines, in the same module).
@_cdecl("kmain")
func kmain(_ magic: UInt32, _ infoAddress: UInt32) -> Never {
    Console.initialize()
    guard magic == MultibootInfo.magic else {
        Console.write("KERNEL PANIC: not started by a multiboot loader\n")
        Power.fail(code: 2)
    }
    guard let region = MultibootInfo.heapRegion(address: UInt(infoAddress), kernelEnd: kernel_end_address()),
          region.end - region.start >= 4 << 20 else {
        Console.write("KERNEL PANIC: less than 4 MiB of RAM above the kernel\n")
        Power.fail(code: 2)
    }
    Heap.initialize(start: region.start, end: region.end)
    Interrupts.initialize()
    Clock.initialize()
    Clock.setPrecise(true)
    Clock.startCoarseTimer()
    ACPI.initialize()
    cpu_sti()
    let info = MultibootInfo(address: UInt(infoAddress))
    let kernel = Kernel(commandLine: KernelCommandLine(info.commandLine), memory: info.totalMemory)
    unikernelMain(kernel)
    Power.powerOff()
}

/// What the kernel gives an application: its command line, memory, the network and the
/// event loop.
public final class Kernel {
    /// The command line (`key=value` words).
    public let commandLine: KernelCommandLine
    /// Usable RAM in bytes, from the boot loader's memory map.
    public let memory: UInt
    /// The network, once `startNetwork` found a device.
    public private(set) var network: NetworkStack? = nil

    init(commandLine: KernelCommandLine, memory: UInt) {
        self.commandLine = commandLine
        self.memory = memory
    }

    /// Finds the virtio-net device and configures IPv4: by DHCP, or statically with
    /// `ip=A.B.C.D/N` (and `gateway=A.B.C.D`) on the command line. `onReady` runs once an
    /// address is set. Returns nil (after printing why) when there is no usable device.
    @discardableResult
    public func startNetwork(onReady: @escaping (NetworkStack) -> Void) -> NetworkStack? {
        guard let device = VirtioNet.probe() else {
            Console.write("network: no legacy virtio-net device (PCI 1af4:1000)\n")
            return nil
        }
        let stack = NetworkStack(device: device)
        network = stack
        stack.onConfigured = { [unowned(unsafe) stack] in onReady(stack) }
        Interrupts.enable(line: device.interruptLine, acknowledge: device.interruptStatusPort)
        if let ip = commandLine["ip"] {
            let bytes = Array(ip.utf8)
            let slash = bytes.firstIndex(of: UInt8(ascii: "/")) ?? bytes.count
            let address = IPv4Address(parsing: String(decoding: bytes[..<slash], as: UTF8.self))
            let prefix = slash < bytes.count ? KernelCommandLine.decimal(bytes[(slash + 1)...]) ?? 24 : 24
            let gateway = commandLine["gateway"].flatMap { IPv4Address(parsing: $0) } ?? .any
            if let address {
                stack.configureStatic(address: address, prefixLength: prefix, router: gateway)
                return stack
            }
            Console.write("network: ip= is not A.B.C.D/N; using DHCP\n")
        }
        stack.dhcp = DHCPClient()
        return stack
    }

    /// The event loop: network, timers, then `hlt` until the next interrupt. Never returns.
    public func run() -> Never {
        while true {
            _ = Interrupts.takePending()
            if ACPI.powerButtonPressed {
                Console.write("KERNEL: ACPI power button pressed, powering off\n")
                Power.powerOff()
            }
            if let net = network {
                net.poll()
                net.runTimers()
                Clock.setPrecise(net.tcp.timersArmed || net.address == .any)
            }
            cpu_cli()
            if Interrupts.pending == 0 && !(network?.hasWork ?? false) {
                cpu_sti_hlt()
            } else {
                cpu_sti()
            }
        }
    }
}
