/// The kernel command line as `key=value` words. The first word is the kernel's own name
/// (GRUB and QEMU both pass it) and is skipped when it has no `=`.
/// Parsed as bytes: the kernel carries no Unicode tables.
public struct KernelCommandLine {
    /// The whole line as the boot loader passed it.
    public let raw: String
    private var pairs: [(key: [UInt8], value: String)] = []

    /// Parses `raw` into its `key=value` words.
    public init(_ raw: String) {
        self.raw = raw
        let bytes = Array(raw.utf8)
        var i = 0
        while i < bytes.count {
            while i < bytes.count && bytes[i] == 32 { i += 1 }
            let start = i
            while i < bytes.count && bytes[i] != 32 { i += 1 }
            guard i > start else { break }
            let word = bytes[start..<i]
            if let eq = word.firstIndex(of: UInt8(ascii: "=")) {
                pairs.append((Array(word[start..<eq]), String(decoding: word[(eq + 1)...], as: UTF8.self)))
            }
        }
    }

    /// Whether `key` is set to exactly `value`.
    public func has(_ key: StaticString, _ value: StaticString) -> Bool {
        guard let v = self[key] else { return false }
        return value.withUTF8Buffer { v.utf8.elementsEqual($0) }
    }

    static func decimal<S: Sequence>(_ digits: S) -> Int? where S.Element == UInt8 {
        var n = 0
        var any = false
        for c in digits {
            guard c >= 48 && c <= 57, n < 1_000_000_000 else { return nil }
            n = n * 10 + Int(c - 48)
            any = true
        }
        return any ? n : nil
    }

    /// The value of the last `key=value` word for `key`.
    public subscript(_ key: StaticString) -> String? {
        var found: String? = nil
        key.withUTF8Buffer { k in
            for p in pairs where p.key.elementsEqual(k) { found = p.value }
        }
        return found
    }

    /// The value of `key` as a non-negative integer, if it is one.
    public func integer(_ key: StaticString) -> Int? {
        guard let v = self[key] else { return nil }
        return KernelCommandLine.decimal(v.utf8)
    }
}
