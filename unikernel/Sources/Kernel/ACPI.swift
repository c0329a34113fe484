/// Just enough ACPI to be stopped like a VM: the power button (how `sortie serve` and GCE stop an
/// instance) and the S5 sleep type for powering off. Reads the RSDP, RSDT, FADT and the `_S5_`
/// object of the DSDT; no AML interpreter.
enum ACPI {
    nonisolated(unsafe) static var pm1aEvent: UInt16 = 0
    nonisolated(unsafe) static var pm1aControl: UInt16 = 0
    nonisolated(unsafe) static var pm1EventLength: UInt16 = 4
    /// SLP_TYPa for S5 (soft off), from the DSDT's `_S5_` package.
    nonisolated(unsafe) static var sleepTypeS5: UInt16 = 0
    /// Set by the SCI handler when the power button was pressed.
    nonisolated(unsafe) static var powerButtonPressed = false
    /// The SCI's interrupt line (PIC), or -1 without ACPI.
    nonisolated(unsafe) static var sciLine = -1

    static let powerButton: UInt16 = 1 << 8

    /// Finds the FADT, switches the chipset to ACPI mode and enables the power button event on the SCI.
    static func initialize() {
        guard let fadt = findFADT() else { return }
        let sci = Int(fadt.load(fromByteOffset: 46, as: UInt16.self))
        let smiCommand = UInt16(truncatingIfNeeded: fadt.load(fromByteOffset: 48, as: UInt32.self))
        let enable = fadt.load(fromByteOffset: 52, as: UInt8.self)
        pm1aEvent = UInt16(truncatingIfNeeded: fadt.load(fromByteOffset: 56, as: UInt32.self))
        pm1aControl = UInt16(truncatingIfNeeded: fadt.load(fromByteOffset: 64, as: UInt32.self))
        pm1EventLength = UInt16(fadt.load(fromByteOffset: 88, as: UInt8.self))
        guard pm1aEvent != 0, pm1aControl != 0, sci > 0, sci < 16 else { return }
        if let dsdt = UnsafeRawPointer(bitPattern: UInt(fadt.load(fromByteOffset: 40, as: UInt32.self))) {
            sleepTypeS5 = findS5(dsdt)
        }
        if inw(pm1aControl) & 1 == 0 && smiCommand != 0 && enable != 0 {
            outb(smiCommand, enable)                         // ACPI mode on (SCI_EN)
            var spins = 0
            while inw(pm1aControl) & 1 == 0 && spins < 1_000_000 { spins += 1 }
        }
        outw(pm1aEvent, 0xFFFF)                              // clear every status bit
        outw(pm1aEvent + pm1EventLength / 2, powerButton)    // PWRBTN_EN
        sciLine = sci
        Interrupts.enable(line: sci)
    }

    /// Called from the SCI interrupt: acknowledges the events, notes a power button press.
    static func handleSCI() {
        guard pm1aEvent != 0 else { return }
        let status = inw(pm1aEvent)
        outw(pm1aEvent, status)                              // write 1 to clear
        if status & powerButton != 0 { powerButtonPressed = true }
    }

    /// Enters S5 (soft off) through PM1a_CNT; false without ACPI.
    static func enterS5() -> Bool {
        guard pm1aControl != 0 else { return false }
        outw(pm1aControl, sleepTypeS5 << 10 | 1 << 13)
        return true
    }

    private static func findFADT() -> UnsafeRawPointer? {
        var rsdp: UnsafeRawPointer? = nil
        var address: UInt = 0xE0000
        while address < 0x100000 && rsdp == nil {
            let p = UnsafeRawPointer(bitPattern: address)!
            if p.load(as: UInt64.self) == 0x2052_5450_2044_5352, checksum(p, 20) {   // "RSD PTR "
                rsdp = p
            }
            address += 16
        }
        guard let rsdp, let rsdt = UnsafeRawPointer(bitPattern: UInt(rsdp.load(fromByteOffset: 16, as: UInt32.self))),
              rsdt.load(as: UInt32.self) == 0x5444_5352 else { return nil }                  // "RSDT"
        let length = Int(rsdt.load(fromByteOffset: 4, as: UInt32.self))
        guard length >= 36, length < 65536 else { return nil }
        var offset = 36
        while offset + 4 <= length {
            if let table = UnsafeRawPointer(bitPattern: UInt(rsdt.loadUnaligned(fromByteOffset: offset, as: UInt32.self))),
               table.load(as: UInt32.self) == 0x5043_4146,                                  // "FACP"
               table.load(fromByteOffset: 4, as: UInt32.self) >= 92 {
                return table
            }
            offset += 4
        }
        return nil
    }

    private static func checksum(_ p: UnsafeRawPointer, _ n: Int) -> Bool {
        var sum: UInt8 = 0
        for i in 0..<n { sum &+= p.load(fromByteOffset: i, as: UInt8.self) }
        return sum == 0
    }

    /// SLP_TYPa from `Name (_S5_, Package () { a, b, ... })` in the DSDT (0 if not found).
    private static func findS5(_ dsdt: UnsafeRawPointer) -> UInt16 {
        guard dsdt.load(as: UInt32.self) == 0x5444_5344 else { return 0 }                  // "DSDT"
        let length = Int(dsdt.load(fromByteOffset: 4, as: UInt32.self))
        guard length > 36, length < 1 << 20 else { return 0 }
        var i = 36
        while i + 12 < length {
            if dsdt.loadUnaligned(fromByteOffset: i, as: UInt32.self) == 0x5F35_535F,        // "_S5_"
               dsdt.load(fromByteOffset: i + 4, as: UInt8.self) == 0x12 {                 // PackageOp
                var j = i + 5
                j += Int(dsdt.load(fromByteOffset: j, as: UInt8.self) >> 6) + 1             // PkgLength
                j += 1                                                                       // NumElements
                let op = dsdt.load(fromByteOffset: j, as: UInt8.self)
                if op == 0x0A { return UInt16(dsdt.load(fromByteOffset: j + 1, as: UInt8.self) & 7) }   // BytePrefix
                return op == 0x01 ? 1 : 0                                                   // OneOp / ZeroOp
            }
            i += 1
        }
        return 0
    }
}
