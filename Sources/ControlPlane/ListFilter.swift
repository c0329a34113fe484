/// GCE's list `filter`: conjunctions of `field = value`, `field != value` (also `eq`/`ne`),
/// each optionally in parentheses, on dotted paths like `labels.app`. Values may be quoted.
import Foundation

struct ListFilter {
    struct Clause {
        var path: [String]
        var equal: Bool
        var value: String
    }

    let clauses: [Clause]

    init(_ text: String) {
        var clauses: [Clause] = []
        let cleaned = text.replacingOccurrences(of: ")", with: " ").replacingOccurrences(of: "(", with: " ")
        var words = cleaned.split(separator: " ").map(String.init).filter { $0.uppercased() != "AND" }
        // Join "field = value" that may have come without spaces ("a=b").
        var expanded: [String] = []
        for word in words {
            if let r = word.range(of: "!=") ?? word.range(of: "="), word.count > 2, r.lowerBound != word.startIndex {
                expanded += [String(word[..<r.lowerBound]), String(word[r]), String(word[r.upperBound...])].filter { !$0.isEmpty }
            } else {
                expanded.append(word)
            }
        }
        words = expanded
        var i = 0
        while i + 2 < words.count {
            let op = words[i + 1].lowercased()
            if ["=", "eq", "!=", "ne"].contains(op) {
                let value = words[i + 2].trimmingCharacters(in: ["\"", "'"])
                clauses.append(Clause(path: words[i].split(separator: ".").map(String.init), equal: op == "=" || op == "eq", value: value))
                i += 3
            } else {
                i += 1
            }
        }
        self.clauses = clauses
    }

    func matches(_ item: JSONValue) -> Bool {
        clauses.allSatisfy { clause in
            var value: JSONValue? = item
            for key in clause.path { value = value?[key] }
            let text: String?
            switch value {
            case .string(let s)?: text = s
            case .bool(let b)?: text = b ? "true" : "false"
            case .number(let n)?: text = n == n.rounded() ? String(Int64(n)) : String(n)
            default: text = nil
            }
            let hit = text.map { Self.glob($0, clause.value) } ?? false
            return clause.equal ? hit : !hit
        }
    }

    /// GCE filters match values as regular expressions anchored at both ends.
    static func glob(_ text: String, _ pattern: String) -> Bool {
        guard pattern.contains(where: { ".*+?[]()|\\^$".contains($0) }) else { return text == pattern }
        return text.range(of: "^(" + pattern + ")$", options: .regularExpression) != nil
    }
}
