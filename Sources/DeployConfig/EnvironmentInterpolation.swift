/// Resolves `${NAME}` and `${NAME:-default}` in a string from `sortie.yml` with the given
/// environment (injected: the executable passes the process environment, tests pass a dictionary).
///
/// `${NAME:-default}` uses `default` when `NAME` is unset or empty, as in the shell. `$${` stands
/// for a literal `${`. Any other `$` is kept as it is, so shell commands such as `make -j$(nproc)` pass
/// through untouched.
enum EnvironmentInterpolation {
    /// Why a string could not be resolved; the caller adds the place.
    enum Failure: Error, Equatable {
        case malformed(reference: String)
    }

    /// A resolved string and the references it holds.
    struct Resolution {
        /// The text with every reference replaced; a missing variable's reference is left as written.
        var string: ConfigString
        /// Each `${...}` in the text, in order: its name and whether it has a `:-default`.
        var references: [(name: String, hasDefault: Bool)]
        /// Variables referenced without a default that the environment does not have.
        var missing: [String]
    }

    static func resolve(_ text: String, environment: [String: String]) -> Result<Resolution, Failure> {
        guard text.contains("${") else { return .success(Resolution(string: ConfigString(text), references: [], missing: [])) }
        var output = ""
        var fromEnvironment = false
        var references: [(name: String, hasDefault: Bool)] = []
        var missing: [String] = []
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            output += rest[..<dollar]
            let afterDollar = rest[rest.index(after: dollar)...]
            if afterDollar.hasPrefix("${") {
                output += "${"
                rest = afterDollar.dropFirst(2)
                continue
            }
            guard afterDollar.hasPrefix("{") else {
                output += "$"
                rest = afterDollar
                continue
            }
            guard let close = afterDollar.firstIndex(of: "}") else {
                return .failure(.malformed(reference: String(rest.prefix(40))))
            }
            let inner = afterDollar[afterDollar.index(after: afterDollar.startIndex)..<close]
            let (name, fallback) = split(inner)
            guard isVariableName(name) else { return .failure(.malformed(reference: "${\(inner)}")) }
            references.append((String(name), fallback != nil))
            if let value = environment[String(name)], !(value.isEmpty && fallback != nil) {
                output += value
                fromEnvironment = true
            } else if let fallback {
                output += fallback
            } else {
                output += "${\(inner)}"
                missing.append(String(name))
                fromEnvironment = true  // not a real value: never shown as one
            }
            rest = afterDollar[afterDollar.index(after: close)...]
        }
        output += rest
        return .success(Resolution(string: ConfigString(output, isSecret: fromEnvironment, source: text), references: references, missing: missing))
    }

    private static func split(_ inner: Substring) -> (Substring, Substring?) {
        guard let range = inner.range(of: ":-") else { return (inner, nil) }
        return (inner[..<range.lowerBound], inner[range.upperBound...])
    }

    static func isVariableName(_ name: Substring) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}
