/// VFAT long file names (Microsoft's FAT specification, "Long Directory Entries"): a name that does
/// not fit an 8.3 entry is stored as UCS-2 slots of 13 characters before a short alias entry.
enum FATLongName {
    /// Characters an 8.3 name may hold besides A–Z and 0–9.
    private static let shortSpecials = Set("$%'-_@~`!(){}^#&".utf8)

    /// True for a byte an 8.3 name may hold: A–Z, 0–9 and `shortSpecials`.
    private static func isShortNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39) || shortSpecials.contains(byte)
    }

    /// Where a long-name slot keeps its 13 UCS-2 characters.
    private static let characterOffsets = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30]

    /// True when `name` can be stored as it is in an 8.3 entry: upper case, a base of 1–8 and an
    /// extension of 0–3 allowed characters.
    static func fitsShortName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let base = parts.first, (1...8).contains(base.utf8.count) else { return false }
        if parts.count == 2, !(1...3).contains(parts[1].utf8.count) { return false }
        return parts.allSatisfy { $0.utf8.allSatisfy(isShortNameByte) }
    }

    /// Directory slots (32 bytes each) that `name` takes: its short entry plus any long-name slots.
    static func slots(for name: String) -> Int {
        fitsShortName(name) ? 1 : 1 + (name.utf16.count + 12) / 13
    }

    /// Numbered short aliases within one directory: `MULTIB~1.MOD`, `MULTIB~2.MOD`, …
    struct Aliases {
        private var used: [String: Int] = [:]

        mutating func next(for name: String) -> String {
            let upper = name.uppercased()
            let dot = upper.lastIndex(of: ".")
            let base = dot.map { String(upper[..<$0]) } ?? upper
            let ext = dot.map { String(upper[upper.index(after: $0)...]) } ?? ""
            let clean = { (text: String, limit: Int) in
                String(text.unicodeScalars.compactMap { scalar -> Character? in
                    guard scalar.isASCII, scalar != " ", scalar != "." else { return nil }
                    return isShortNameByte(UInt8(scalar.value)) ? Character(scalar) : "_"
                }.prefix(limit))
            }
            let stem = clean(base, 6).isEmpty ? "FILE" : clean(base, 6)
            let extension3 = clean(ext, 3)
            let key = stem + "." + extension3
            let number = (used[key] ?? 0) + 1
            used[key] = number
            let suffix = "~\(number)"
            let alias = String(stem.prefix(8 - suffix.count)) + suffix
            return extension3.isEmpty ? alias : alias + "." + extension3
        }
    }

    /// The checksum of an 11-byte short name that each long-name slot carries.
    static func checksum(_ shortName: [UInt8]) -> UInt8 {
        shortName.prefix(11).reduce(UInt8(0)) { sum, byte in ((sum & 1) << 7) &+ (sum >> 1) &+ byte }
    }

    /// The long-name slots for `name`, in on-disk order (the last part first), to precede the
    /// short entry named `shortName` (11 bytes).
    static func entries(for name: String, shortName: [UInt8]) -> [UInt8] {
        var units = Array(name.utf16)
        // A terminator only when the name does not fill its last slot (as `slots(for:)` counts).
        if units.count % 13 != 0 { units.append(0) }
        while units.count % 13 != 0 { units.append(0xFFFF) }
        let count = units.count / 13
        let sum = checksum(shortName)
        var out: [UInt8] = []
        for ordinal in stride(from: count, through: 1, by: -1) {
            var slot = [UInt8](repeating: 0, count: 32)
            slot[0] = UInt8(ordinal) | (ordinal == count ? 0x40 : 0)
            slot[11] = 0x0F
            slot[13] = sum
            let chunk = units[(ordinal - 1) * 13 ..< ordinal * 13]
            for (offset, unit) in zip(characterOffsets, chunk) {
                slot[offset] = UInt8(unit & 0xFF)
                slot[offset + 1] = UInt8(unit >> 8)
            }
            out += slot
        }
        return out
    }

    /// Reassembles a long name from slots read in on-disk order; nil if they are inconsistent.
    static func name(fromSlots slots: [[UInt8]], shortName: [UInt8]) -> String? {
        guard !slots.isEmpty else { return nil }
        let sum = checksum(shortName)
        var units: [UInt16] = []
        for slot in slots.reversed() {
            guard slot[13] == sum else { return nil }
            for offset in characterOffsets {
                units.append(UInt16(slot[offset]) | UInt16(slot[offset + 1]) << 8)
            }
        }
        if let end = units.firstIndex(of: 0) { units.removeSubrange(end...) }
        return String(decoding: units, as: UTF16.self)
    }
}
