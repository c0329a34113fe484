/// Monotonic time: the TSC, calibrated against the PIT at boot. The PIT's channel 0 also
/// interrupts 100 times a second so the idle loop wakes for timers.
public enum Clock {
    /// PIT interrupts per second while timers need precision (a TCP segment in flight).
    static let hz: UInt64 = 50
    /// Whether the PIT interrupt is on; otherwise only the RTC's 2 Hz interrupt wakes the idle loop.
    nonisolated(unsafe) static private(set) var precise = false
    nonisolated(unsafe) static var ticks: UInt64 = 0
    nonisolated(unsafe) static var tscAtBoot: UInt64 = 0
    nonisolated(unsafe) static var tscPerMicrosecond: UInt64 = 1000

    /// Measures the TSC rate against PIT channel 2, then starts channel 0 at `hz`. The lowest of
    /// five 2 ms measurements counts: when the host deschedules the vCPU (TCG on a busy host),
    /// the wait for the PIT overruns and that measurement comes out too high (the clock would run slow).
    static func initialize() {
        let pitHz: UInt64 = 1_193_182
        var rate = UInt64.max
        for _ in 0..<5 { rate = min(rate, measureTSC(pitTicks: UInt16(pitHz / 500), microseconds: 2000)) }
        tscPerMicrosecond = max(1, rate)
        tscAtBoot = cpu_rdtsc()
        let divisor = UInt16(pitHz / hz)
        outb(0x43, 0x36)                                   // channel 0, lo/hi, square wave
        outb(0x40, UInt8(truncatingIfNeeded: divisor))
        outb(0x40, UInt8(truncatingIfNeeded: divisor >> 8))
    }

    /// TSC ticks per microsecond over one PIT channel 2 countdown of `pitTicks`.
    private static func measureTSC(pitTicks: UInt16, microseconds: UInt64) -> UInt64 {
        outb(0x61, (inb(0x61) & 0xFC) | 0x01)              // gate channel 2 on, speaker off
        outb(0x43, 0xB0)                                   // channel 2, lo/hi, mode 0
        outb(0x42, UInt8(truncatingIfNeeded: pitTicks))
        outb(0x42, UInt8(truncatingIfNeeded: pitTicks >> 8))
        let start = cpu_rdtsc()
        var spins = 0
        while inb(0x61) & 0x20 == 0 && spins < 10_000_000 { spins += 1 }
        return (cpu_rdtsc() &- start) / microseconds
    }

    /// Starts the RTC's periodic interrupt at 2 Hz (IRQ 8): the coarse clock of an idle kernel.
    static func startCoarseTimer() {
        outb(0x70, 0x8A)                                   // register A (NMI stays masked while we write)
        let a = inb(0x71)
        outb(0x70, 0x8A)
        outb(0x71, (a & 0xF0) | 15)                        // rate 15: 32768 >> 14 = 2 Hz
        outb(0x70, 0x8B)                                   // register B: periodic interrupt enable
        let b = inb(0x71)
        outb(0x70, 0x8B)
        outb(0x71, b | 0x40)
        outb(0x70, 0x0C)                                   // register C: clear what is pending
        _ = inb(0x71)
        outb(0x70, 0x0D)
        Interrupts.enable(line: 8)
    }

    /// Turns the 50 Hz PIT interrupt on (TCP retransmission timers need it) or off (idle: every
    /// wake-up costs host CPU under emulation; the RTC's 2 Hz is enough for TIME-WAIT, HTTP
    /// timeouts and DHCP).
    static func setPrecise(_ on: Bool) {
        guard on != precise else { return }
        precise = on
        if on { Interrupts.enable(line: 0) } else { Interrupts.disable(line: 0) }
    }

    /// Called by the timer interrupt.
    static func tick() { ticks &+= 1 }

    /// Microseconds since boot.
    public static var microseconds: UInt64 { (cpu_rdtsc() &- tscAtBoot) / tscPerMicrosecond }

    /// Milliseconds since boot.
    public static var milliseconds: UInt64 { microseconds / 1000 }

    /// Spins (keeping the CPU busy, as `/burn` wants) for `ms` milliseconds.
    public static func spin(milliseconds ms: UInt64) {
        let end = microseconds &+ ms &* 1000
        while microseconds < end { cpu_pause() }
    }
}
