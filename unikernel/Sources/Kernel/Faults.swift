/// CPU exceptions: printed on COM1, then the VM stops with a failure status (never a silent
/// triple fault). A Swift runtime trap (overflow, bounds, force unwrap, `fatalError`) is `ud2`,
/// exception 6.
enum Faults {
    /// Exit status given to isa-debug-exit after an exception (QEMU exits with 2 * 3 + 1 = 7).
    static let exitCode: UInt32 = 3

    static func report(_ frame: InterruptFrame) -> Never {
        Console.write("\nKERNEL PANIC: CPU exception ")
        Console.writeDecimal(frame.vector)
        Console.write(" (")
        Console.write(name(frame.vector))
        Console.write(") rip=")
        Console.writeHex(frame.rip)
        Console.write(" error=")
        Console.writeHex(frame.errorCode)
        if frame.vector == 14 {
            Console.write(" cr2=")
            Console.writeHex(cpu_cr2())
        }
        Console.write(" rsp=")
        Console.writeHex(frame.rsp)
        Console.write("\n")
        if frame.vector == 6 {
            Console.write("KERNEL PANIC: Swift runtime trap (a failed precondition, overflow, bounds check or fatalError)\n")
        }
        Power.fail(code: exitCode)
    }

    static func name(_ vector: UInt64) -> StaticString {
        switch vector {
        case 0: return "#DE divide error"
        case 1: return "#DB debug"
        case 2: return "NMI"
        case 3: return "#BP breakpoint"
        case 4: return "#OF overflow"
        case 5: return "#BR bound range"
        case 6: return "#UD invalid opcode"
        case 7: return "#NM device not available"
        case 8: return "#DF double fault"
        case 10: return "#TS invalid TSS"
        case 11: return "#NP segment not present"
        case 12: return "#SS stack fault"
        case 13: return "#GP general protection"
        case 14: return "#PF page fault"
        case 16: return "#MF x87 error"
        case 17: return "#AC alignment check"
        case 18: return "#MC machine check"
        case 19: return "#XM SIMD exception"
        default: return "reserved"
        }
    }
}
