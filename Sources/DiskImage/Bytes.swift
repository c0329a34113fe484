import Foundation

/// Little-endian and fixed-width helpers for building on-disk structures in byte arrays.
extension Array where Element == UInt8 {
    /// Stores `value` little-endian at `offset`.
    mutating func putLE16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    /// Stores `value` little-endian at `offset`.
    mutating func putLE32(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }

    /// Stores the bytes of `text` (ASCII) at `offset`, padded with `pad` to `width` bytes.
    mutating func putASCII(_ text: String, at offset: Int, width: Int, pad: UInt8 = 0x20) {
        let bytes = Array(text.utf8.prefix(width))
        for i in 0..<width { self[offset + i] = i < bytes.count ? bytes[i] : pad }
    }
}

/// Reading little-endian integers out of any byte collection, with bounds checks left to the caller.
extension Collection where Element == UInt8, Index == Int {
    func le16(at offset: Int) -> UInt16 {
        UInt16(self[startIndex + offset]) | UInt16(self[startIndex + offset + 1]) << 8
    }

    func le32(at offset: Int) -> UInt32 {
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(self[startIndex + offset + i]) << (8 * UInt32(i)) }
        return v
    }

    func le64(at offset: Int) -> UInt64 {
        UInt64(le32(at: offset)) | UInt64(le32(at: offset + 4)) << 32
    }

    /// True when `self` holds `pattern` at `offset`.
    func matches(_ pattern: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset + pattern.count <= count else { return false }
        for (i, b) in pattern.enumerated() where self[startIndex + offset + i] != b { return false }
        return true
    }
}

/// Sizes used throughout.
public enum Size {
    /// Bytes in one disk sector.
    public static let sector = 512
    /// One GiB: GCE requires `disk.raw` to be a whole number of these.
    public static let gibibyte: UInt64 = 1 << 30
}

/// Human-readable byte counts ("225.0 KiB").
public func formatBytes(_ n: UInt64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(n)
    var unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(n) B" : formatDecimal(value, places: 1) + " " + units[unit]
}

/// `value` rounded to `places` decimals, without Foundation's slow first `String(format:)`.
public func formatDecimal(_ value: Double, places: Int) -> String {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let scaled = Int64((abs(value) * scale).rounded())
    let whole = scaled / Int64(scale)
    var text = (value < 0 && scaled != 0 ? "-" : "") + String(whole)
    if places > 0 {
        let fraction = String(scaled % Int64(scale))
        text += "." + String(repeating: "0", count: places - fraction.count) + fraction
    }
    return text
}
