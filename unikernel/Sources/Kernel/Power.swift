/// Ending the VM: a clean power-off, or a failure that test harnesses and Sortie can see.
public enum Power {
    /// Powers off through ACPI: the FADT's PM1a control block with the DSDT's S5 sleep type, else
    /// QEMU's PIIX4 ports (0x604, older Bochs/QEMU 0xB004).
    public static func powerOff() -> Never {
        _ = ACPI.enterS5()
        outw(0x604, 0x2000)
        outw(0xB004, 0x2000)
        cpu_hlt_forever()
        while true {}
    }

    /// Stops with a failure: exit status `code` through QEMU's isa-debug-exit device (port 0xF4;
    /// QEMU then exits with `code * 2 + 1`) when present, otherwise a CPU reset (a reset, not a
    /// power-off, so that `-no-reboot` QEMU and `sortie boot` report a failure; GCE reboots it).
    public static func fail(code: UInt32) -> Never {
        outl(0xF4, code)
        outb(0xCF9, 0x06)
        cpu_triple_fault()
        cpu_hlt_forever()
        while true {}
    }
}
