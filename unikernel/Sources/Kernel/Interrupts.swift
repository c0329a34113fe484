/// Registers of an interrupted context, in the order `isr_common` (boot/boot.S) pushes them.
struct InterruptFrame {
    var r15, r14, r13, r12, r11, r10, r9, r8: UInt64
    var rdi, rsi, rbp, rbx, rdx, rcx, rax: UInt64
    var vector, errorCode: UInt64
    var rip, cs, rflags, rsp, ss: UInt64
}

/// Legacy 8259 interrupt controllers, remapped to vectors 32-47. Hardware interrupt handlers
/// only record that an interrupt happened (and acknowledge the device); the main loop does the work.
enum Interrupts {
    /// One bit per IRQ line that fired since the main loop last looked.
    nonisolated(unsafe) static var pending: UInt32 = 0
    /// Per IRQ line: an I/O port to read to acknowledge a level-triggered device (0: none).
    nonisolated(unsafe) static var acknowledgePort: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16,
                                                     UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    nonisolated(unsafe) static var mask: UInt16 = 0xFFFF

    /// Remaps both PICs to vectors 32-47 with every line masked except the cascade.
    static func initialize() {
        outb(0x20, 0x11); outb(0xA0, 0x11)
        outb(0x21, 0x20); outb(0xA1, 0x28)
        outb(0x21, 0x04); outb(0xA1, 0x02)
        outb(0x21, 0x01); outb(0xA1, 0x01)
        mask = 0xFFFB
        applyMask()
    }

    /// Unmasks IRQ `line`; `acknowledge` (if not 0) is read in the handler to quiet the device.
    static func enable(line: Int, acknowledge: UInt16 = 0) {
        guard (0..<16).contains(line) else { return }
        withUnsafeMutableBytes(of: &acknowledgePort) { ports in
            ports.storeBytes(of: acknowledge, toByteOffset: line * 2, as: UInt16.self)
        }
        mask &= ~(1 << UInt16(line))
        applyMask()
    }

    /// Masks IRQ `line`.
    static func disable(line: Int) {
        guard (0..<16).contains(line) else { return }
        mask |= 1 << UInt16(line)
        applyMask()
    }

    private static func applyMask() {
        outb(0x21, UInt8(truncatingIfNeeded: mask))
        outb(0xA1, UInt8(truncatingIfNeeded: mask >> 8))
    }

    /// Takes the set of lines that fired (with interrupts off, so none is lost).
    static func takePending() -> UInt32 {
        cpu_cli()
        let p = pending
        pending = 0
        cpu_sti()
        return p
    }

    static func handleIRQ(_ line: Int) {
        if line == 7 || line == 15 {
            // Spurious unless the controller's in-service register says otherwise.
            let port: UInt16 = line == 7 ? 0x20 : 0xA0
            outb(port, 0x0B)
            if inb(port) & 0x80 == 0 {
                if line == 15 { outb(0x20, 0x20) }
                return
            }
        }
        let ack = withUnsafeBytes(of: &acknowledgePort) { $0.load(fromByteOffset: line * 2, as: UInt16.self) }
        if ack != 0 { _ = inb(ack) }
        if line == 8 {
            outb(0x70, 0x0C)                                // RTC: reading register C re-arms it
            _ = inb(0x71)
        }
        if line == 0 { Clock.tick() }
        if line == ACPI.sciLine { ACPI.handleSCI() }
        pending |= 1 << UInt32(line)
        if line >= 8 { outb(0xA0, 0x20) }
        outb(0x20, 0x20)
    }
}

/// Called by every interrupt stub in boot/boot.S with the saved registers.
@_cdecl("kernel_interrupt")
func kernelInterrupt(_ raw: UnsafeMutableRawPointer) {
    let frame = raw.assumingMemoryBound(to: InterruptFrame.self)
    let vector = Int(frame.pointee.vector)
    if vector < 32 {
        Faults.report(frame.pointee)
    } else {
        Interrupts.handleIRQ(vector - 32)
    }
}
