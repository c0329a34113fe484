/// A 48-bit Ethernet address.
public struct MACAddress: Equatable, Hashable, Sendable {
    /// The address in the low 48 bits, first byte most significant.
    public var value: UInt64

    /// The address in the low 48 bits of `value`.
    public init(_ value: UInt64) { self.value = value & 0xFFFF_FFFF_FFFF }

    /// ff:ff:ff:ff:ff:ff.
    public static let broadcast = MACAddress(0xFFFF_FFFF_FFFF)
    /// 00:00:00:00:00:00.
    public static let zero = MACAddress(0)

    /// `52:54:00:12:34:56`.
    public var description: String {
        var w = ByteWriter(capacity: 17)
        for i in 0..<6 {
            if i > 0 { w.append(":") }
            w.append(hex: UInt8(truncatingIfNeeded: value >> UInt64(40 - 8 * i)))
        }
        return String(decoding: w.bytes, as: UTF8.self)
    }
}

/// An IPv4 address (host byte order in `value`).
public struct IPv4Address: Equatable, Hashable, Sendable {
    /// The address, first octet most significant.
    public var value: UInt32

    /// The address `value` (first octet most significant).
    public init(_ value: UInt32) { self.value = value }
    /// The address `a.b.c.d`.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// 0.0.0.0 (no address yet).
    public static let any = IPv4Address(0)
    /// 255.255.255.255.
    public static let broadcast = IPv4Address(0xFFFF_FFFF)

    /// Parses dotted decimal (`10.0.2.15`).
    public init?(parsing text: String) {
        var result: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        for c in text.utf8 {
            if c == 46 && digits > 0 && dots < 3 && octet <= 255 {
                result = result << 8 | octet
                octet = 0
                digits = 0
                dots += 1
            } else if c >= 48 && c <= 57 && digits < 3 {
                octet = octet * 10 + UInt32(c - 48)
                digits += 1
            } else {
                return nil
            }
        }
        guard dots == 3, digits > 0, octet <= 255 else { return nil }
        value = result << 8 | octet
    }

    /// `10.0.2.15`.
    public var description: String {
        var w = ByteWriter(capacity: 16)
        for shift in [24, 16, 8, 0] as [UInt32] {
            w.append(decimal: (value >> shift) & 0xFF)
            if shift != 0 { w.append(".") }
        }
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
