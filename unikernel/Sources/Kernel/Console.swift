/// COM1, the serial console (115200 8N1, polled). `print` writes here too (through `putchar`).
enum Console {
    /// Programs the UART: no interrupts, 115200 baud, 8N1, FIFO on.
    static func initialize() {
        outb(0x3F9, 0x00)
        outb(0x3FB, 0x80)
        outb(0x3F8, 0x01)
        outb(0x3F9, 0x00)
        outb(0x3FB, 0x03)
        outb(0x3FA, 0xC7)
        outb(0x3FC, 0x03)
    }

    /// Writes text without allocating (safe in fault handlers).
    static func write(_ text: StaticString) {
        text.withUTF8Buffer { bytes in
            for b in bytes { writeByte(b) }
        }
    }

    /// Writes a line of text (a `String`: may allocate).
    static func line(_ text: String) {
        var copy = text
        copy.withUTF8 { bytes in
            for b in bytes { writeByte(b) }
        }
        writeByte(UInt8(ascii: "\n"))
    }

    /// Writes `value` in hexadecimal with a `0x` prefix, without allocating.
    static func writeHex(_ value: UInt64) {
        write("0x")
        var started = false
        var shift = 60
        while shift >= 0 {
            let digit = UInt8((value >> UInt64(shift)) & 0xF)
            if digit != 0 || started || shift == 0 {
                started = true
                writeByte(digit < 10 ? 48 + digit : 87 + digit)
            }
            shift -= 4
        }
    }

    /// Writes `value` in decimal, without allocating.
    static func writeDecimal(_ value: UInt64) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = 48 + UInt8(n % 10)
                n /= 10
                count += 1
            } while n > 0
            while count > 0 {
                count -= 1
                writeByte(buffer[count])
            }
        }
    }

    /// Writes one byte; a newline becomes CR LF.
    static func writeByte(_ byte: UInt8) {
        if byte == UInt8(ascii: "\n") { serial_write_byte(UInt8(ascii: "\r")) }
        serial_write_byte(byte)
    }
}
