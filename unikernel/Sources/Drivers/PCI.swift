/// A function on PCI bus 0..255, read and written through configuration mechanism #1
/// (ports 0xCF8/0xCFC).
public struct PCIDevice {
    /// The bus, slot (device) and function numbers.
    public let bus: UInt8
    public let slot: UInt8
    public let function: UInt8

    /// Reads the 32-bit configuration register at `offset` (a multiple of 4).
    public func read32(_ offset: UInt8) -> UInt32 {
        outl(0xCF8, address(offset))
        return inl(0xCFC)
    }

    /// Writes the 32-bit configuration register at `offset` (a multiple of 4).
    public func write32(_ offset: UInt8, _ value: UInt32) {
        outl(0xCF8, address(offset))
        outl(0xCFC, value)
    }

    private func address(_ offset: UInt8) -> UInt32 {
        0x8000_0000 | UInt32(bus) << 16 | UInt32(slot) << 11 | UInt32(function) << 8 | UInt32(offset & 0xFC)
    }

    /// The vendor ID (0xFFFF: no function here).
    public var vendorID: UInt16 { UInt16(truncatingIfNeeded: read32(0)) }
    /// The device ID.
    public var deviceID: UInt16 { UInt16(truncatingIfNeeded: read32(0) >> 16) }
    /// The legacy interrupt line the firmware routed this function to (PIC IRQ number).
    public var interruptLine: Int { Int(read32(0x3C) & 0xFF) }

    /// Base address register `n`, as an I/O port base if it is one.
    public func ioBase(bar n: UInt8) -> UInt16? {
        let bar = read32(0x10 + n * 4)
        guard bar & 1 == 1 else { return nil }
        return UInt16(truncatingIfNeeded: bar & 0xFFFC)
    }

    /// Turns on I/O space decoding and bus mastering (DMA).
    public func enableIOAndBusMastering() {
        let command = read32(0x04)
        write32(0x04, (command & 0xFFFF_0000) | (command & 0xFFFF) | 0x5)
    }
}

/// Enumeration of the PCI buses.
public enum PCI {
    /// Every function present: bus 0, then the buses behind PCI-to-PCI bridges.
    public static func devices() -> [PCIDevice] {
        var found: [PCIDevice] = []
        var buses: [UInt8] = [0]
        var b = 0
        while b < buses.count && b < 256 {
            let bus = buses[b]
            b += 1
            for slot in 0..<32 {
                let first = PCIDevice(bus: bus, slot: UInt8(slot), function: 0)
                guard first.vendorID != 0xFFFF else { continue }
                let multifunction = (first.read32(0x0C) >> 16) & 0x80 != 0
                for f in 0..<(multifunction ? 8 : 1) {
                    let d = PCIDevice(bus: bus, slot: UInt8(slot), function: UInt8(f))
                    guard d.vendorID != 0xFFFF else { continue }
                    found.append(d)
                    // A PCI-to-PCI bridge (class 06, subclass 04): scan its secondary bus.
                    if d.read32(0x08) >> 16 == 0x0604 {
                        let secondary = UInt8(truncatingIfNeeded: d.read32(0x18) >> 8)
                        if secondary != 0 && !buses.contains(secondary) { buses.append(secondary) }
                    }
                }
            }
        }
        return found
    }

    /// The first function with this vendor and device ID.
    public static func find(vendor: UInt16, device: UInt16) -> PCIDevice? {
        for d in devices() where d.vendorID == vendor && d.deviceID == device { return d }
        return nil
    }
}
