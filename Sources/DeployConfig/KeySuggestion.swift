/// "Did you mean" for unknown keys: the allowed key closest to a misspelling.
enum KeySuggestion {
    /// The allowed key within a small edit distance of `key` (a third of its length, at least 1,
    /// at most 3), ignoring case and treating `_` as `-`; nil when none is close.
    static func closest(to key: String, among allowed: [String]) -> String? {
        let normalized = normalize(key)
        let limit = min(3, max(1, normalized.count / 3))
        let scored = allowed.map { ($0, distance(normalized, normalize($0))) }.filter { $0.1 <= limit }
        return scored.min { $0.1 < $1.1 }?.0
    }

    private static func normalize(_ key: String) -> [Character] {
        Array(key.lowercased().replacingOccurrences(of: "_", with: "-"))
    }

    /// Levenshtein distance.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
