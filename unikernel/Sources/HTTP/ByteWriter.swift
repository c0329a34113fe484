/// Builds bytes without `String` interpolation (which costs code size in Embedded Swift).
public struct ByteWriter {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer with room for `capacity` bytes.
    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// Appends the UTF-8 bytes of a literal.
    public mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends the UTF-8 bytes of `text`.
    public mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Appends bytes.
    public mutating func append(_ other: [UInt8]) {
        bytes.append(contentsOf: other)
    }

    /// Appends `byte` as two lowercase hexadecimal digits.
    public mutating func append(hex byte: UInt8) {
        for nibble in [byte >> 4, byte & 0xF] { bytes.append(nibble < 10 ? 48 + nibble : 87 + nibble) }
    }

    /// Appends `value` in decimal.
    public mutating func append<T: BinaryInteger>(decimal value: T) {
        var v = UInt64(truncatingIfNeeded: value)
        var digits: [UInt8] = []
        repeat {
            digits.append(48 + UInt8(v % 10))
            v /= 10
        } while v > 0
        bytes.append(contentsOf: digits.reversed())
    }
}
