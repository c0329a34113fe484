import Rollout

/// The unit syntaxes of `sortie.yml`: durations (`5s`, `10m`, `1h30m`), byte sizes (`1GiB`,
/// `512MiB`) and fixed-or-percent counts (`1`, `"25%"`). Each parser returns nil for text it does
/// not accept; the caller says where and what was expected.
enum Units {
    static let durationUnits: [(suffix: Character, seconds: Int)] = [("h", 3600), ("m", 60), ("s", 1)]

    /// Whole seconds from `90s`, `10m`, `1h`, or a sequence such as `1m30s` (largest unit first).
    static func seconds(_ text: String) -> Int? {
        var total = 0
        var digits = ""
        var lastUnit = Int.max
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
                continue
            }
            guard let unit = durationUnits.first(where: { $0.suffix == character }), unit.seconds < lastUnit,
                  let number = Int(digits), number <= 1_000_000 else { return nil }
            total += number * unit.seconds
            lastUnit = unit.seconds
            digits = ""
        }
        return digits.isEmpty && lastUnit != Int.max ? total : nil
    }

    /// The shortest way to write `seconds` in duration syntax: `30s`, `10m`, `1h30m`, `0s`.
    static func durationText(_ seconds: Int) -> String {
        guard seconds > 0 else { return "0s" }
        var rest = seconds
        var text = ""
        for unit in durationUnits where rest >= unit.seconds {
            text += "\(rest / unit.seconds)\(unit.suffix)"
            rest %= unit.seconds
        }
        return text
    }

    static let sizeUnits: [(suffix: String, bytes: UInt64)] = [
        ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1),
    ]

    /// Bytes from `1GiB`, `512MiB`, `10 GiB` (binary units only, so that a size means one thing).
    static func bytes(_ text: String) -> UInt64? {
        let trimmed = text.replacingOccurrences(of: " ", with: "")
        guard let unit = sizeUnits.first(where: { trimmed.hasSuffix($0.suffix) }),
              let number = UInt64(trimmed.dropLast(unit.suffix.count)) else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: unit.bytes)
        return overflow ? nil : product
    }

    /// The largest binary unit that divides `bytes` exactly: `1GiB`, `1536MiB`.
    static func sizeText(_ bytes: UInt64) -> String {
        let unit = sizeUnits.first { bytes >= $0.bytes && bytes % $0.bytes == 0 } ?? ("B", 1)
        return "\(bytes / unit.bytes)\(unit.suffix)"
    }

    /// A count (`3`) or a percentage (`50%`) as GCE's `FixedOrPercent`.
    static func fixedOrPercent(_ text: String) -> FixedOrPercent? {
        if text.hasSuffix("%") {
            guard let percent = Int(text.dropLast()), (0...100).contains(percent) else { return nil }
            return .percent(percent)
        }
        guard let count = Int(text), count >= 0 else { return nil }
        return .fixed(count)
    }
}
