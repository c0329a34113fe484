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
    Interrupts.enable(line: 0)
    cpu_sti()
    let info = MultibootInfo(address: UInt(infoAddress))
    let kernel = Kernel(commandLine: KernelCommandLine(info.commandLine), memory: info.totalMemory)
    unikernelMain(kernel)
    Power.powerOff()
}

/// What the kernel gives an application: its command line, memory size and the network.
public final class Kernel {
    /// The command line (`key=value` words).
    public let commandLine: KernelCommandLine
    /// Usable RAM in bytes, from the boot loader's memory map.
    public let memory: UInt

    init(commandLine: KernelCommandLine, memory: UInt) {
        self.commandLine = commandLine
        self.memory = memory
    }
}
