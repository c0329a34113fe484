import Foundation
import Rollout
import Yams

/// What every read of `sortie.yml` needs: the file's name for messages, and the environment for
/// `${...}` references (with what to do about a missing variable, and where references are logged).
struct ParseContext {
    let file: String
    let environment: [String: String]
    /// When true, a missing variable is recorded instead of failing the parse.
    var allowsMissingVariables = false
    let references = EnvironmentReferenceLog()
}

/// One value in `sortie.yml`, with its key path and line, and typed readers that throw a
/// `ConfigError` naming both. A key that is absent has no node; its line is its parent's.
struct ConfigNode {
    let node: Node?
    let path: String
    let line: Int?
    let context: ParseContext

    init(node: Node?, path: String, fallbackLine: Int?, context: ParseContext) {
        self.node = node
        self.path = path
        self.line = node?.mark?.line ?? fallbackLine
        self.context = context
    }

    /// Whether the key is there with a value (`key:` alone and `key: ~` count as absent).
    var isPresent: Bool {
        guard let node else { return false }
        if case .scalar(let scalar) = node, scalar.style == .plain, node.null != nil { return false }
        return true
    }

    func error(_ problem: String, hint: String? = nil) -> ConfigError {
        ConfigError(file: context.file, line: line, keyPath: path, problem: problem, hint: hint)
    }

    /// Runs `read` when the key is present; nil otherwise.
    func optional<T>(_ read: (ConfigNode) throws -> T) throws -> T? {
        isPresent ? try read(self) : nil
    }

    /// Runs `read`, or fails with "is required" naming what the key is for.
    func required<T>(_ what: String, _ read: (ConfigNode) throws -> T) throws -> T {
        guard isPresent else { throw error("is required: \(what)") }
        return try read(self)
    }

    // MARK: Mappings

    /// The mapping at this key (an absent key or `{}` is an empty one), refusing keys not in `allowed`.
    func mapping(_ allowed: [String]) throws -> ConfigMapping {
        let mapping = try anyMapping(expecting: "a mapping with the keys \(allowed.joined(separator: ", "))")
        for entry in mapping.entries where !allowed.contains(entry.name) {
            let place = ConfigError(file: context.file, line: entry.keyLine, keyPath: entry.node.path, problem: "")
            if let suggestion = KeySuggestion.closest(to: entry.name, among: allowed) {
                throw place.with(problem: "unknown key; did you mean \"\(suggestion)\"?")
            }
            throw place.with(problem: "unknown key (expected one of: \(allowed.joined(separator: ", ")))")
        }
        return mapping
    }

    /// The mapping at this key with any keys (names chosen by the user: targets, metadata).
    func anyMapping(expecting: String) throws -> ConfigMapping {
        guard isPresent, let node else { return ConfigMapping(parent: self, entries: []) }
        guard case .mapping(let mapping) = node else { throw error("expected \(expecting), got \(shape)") }
        var entries: [ConfigMapping.Entry] = []
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let key) = keyNode else {
                throw error("keys must be plain names, got \(ConfigNode(node: keyNode, path: path, fallbackLine: line, context: context).shape)")
            }
            let childPath = path.isEmpty ? key.string : "\(path).\(key.string)"
            let child = ConfigNode(node: valueNode, path: childPath, fallbackLine: keyNode.mark?.line ?? line, context: context)
            entries.append(.init(name: key.string, keyLine: keyNode.mark?.line ?? line, node: child))
        }
        return ConfigMapping(parent: self, entries: entries)
    }

    // MARK: Scalars

    /// The scalar's text as written (no `${...}` resolution), or an error naming what was expected.
    func scalarText(expecting: String) throws -> String {
        guard case .scalar(let scalar)? = node else { throw error("expected \(expecting), got \(shape)") }
        return scalar.string
    }

    /// A string, with `${...}` references resolved from the environment.
    func string() throws -> ConfigString {
        try resolvedString().value
    }

    /// A string, and whether it references a missing variable (left unresolved, only when the
    /// context allows it).
    func resolvedString() throws -> (value: ConfigString, isIncomplete: Bool) {
        let text = try scalarText(expecting: "a string")
        switch EnvironmentInterpolation.resolve(text, environment: context.environment) {
        case .success(let resolution):
            context.references.record(resolution, keyPath: path, line: line)
            if let name = resolution.missing.first, !context.allowsMissingVariables {
                throw ConfigError.unsetVariable(name, file: context.file, line: line, keyPath: path)
            }
            return (resolution.string, !resolution.missing.isEmpty)
        case .failure(.malformed(let reference)):
            throw error("\(reference) is not a valid environment reference; write ${NAME} or ${NAME:-default}",
                        hint: "write $${ for a literal ${")
        }
    }

    /// A non-empty string matching `rule`, described as `what` in the message (e.g. `a zone like "us-west1-a"`).
    /// A value with a missing variable is checked by the command that needs it (`requireEnvironment`).
    func string(matching rule: NamePattern, what: String) throws -> ConfigString {
        let (value, isIncomplete) = try resolvedString()
        guard isIncomplete || rule.matches(value.value) else { throw error("\(value.quoted) is not \(what)") }
        return value
    }

    /// A whole number within `range`.
    func int(_ range: ClosedRange<Int>) throws -> Int {
        let text = try scalarText(expecting: "a whole number")
        guard let value = Int(text), range.contains(value) else {
            throw error("\"\(text)\" is not a whole number \(describe(range))")
        }
        return value
    }

    /// A decimal number within `range` (exclusive of the lower bound when `above` is true).
    func double(above lower: Double, upTo upper: Double) throws -> Double {
        let text = try scalarText(expecting: "a number")
        guard let value = Double(text), value > lower, value <= upper else {
            throw error("\"\(text)\" is not a number greater than \(Self.format(lower)) and at most \(Self.format(upper))")
        }
        return value
    }

    /// Whole seconds from a duration such as `30s`, `10m`, `1h30m`, within `range` seconds.
    func seconds(_ range: ClosedRange<Int>) throws -> Int {
        let text = try scalarText(expecting: "a duration like \"30s\"")
        guard let seconds = Units.seconds(text) else {
            let hint = Int(text) != nil ? "add a unit: \(text)s" : nil
            throw error("\"\(text)\" is not a duration like \"30s\", \"10m\" or \"1h\"", hint: hint)
        }
        guard range.contains(seconds) else {
            throw error("\(text) is out of range: expected \(Units.durationText(range.lowerBound)) to \(Units.durationText(range.upperBound))")
        }
        return seconds
    }

    /// Bytes from a size such as `1GiB` or `512MiB`.
    func bytes() throws -> UInt64 {
        let text = try scalarText(expecting: "a size like \"1GiB\"")
        guard let bytes = Units.bytes(text) else {
            throw error("\"\(text)\" is not a size like \"1GiB\" or \"512MiB\" (binary units: KiB, MiB, GiB, TiB)")
        }
        return bytes
    }

    /// A count or a percentage (`1`, `"25%"`).
    func fixedOrPercent() throws -> FixedOrPercent {
        let text = try scalarText(expecting: "a number or a percentage")
        guard let value = Units.fixedOrPercent(text) else {
            throw error("\"\(text)\" is not a number or a percentage like \"25%\"")
        }
        return value
    }

    // MARK: Helpers

    /// How a node that has the wrong shape is described: `a list`, `a mapping`, `"text"`.
    var shape: String {
        switch node {
        case .scalar(let scalar)?: return "\"\(scalar.string)\""
        case .mapping?: return "a mapping"
        case .sequence?: return "a list"
        case .alias?, nil: return "nothing"
        }
    }

    private func describe(_ range: ClosedRange<Int>) -> String {
        if range.upperBound == Int.max { return "of at least \(range.lowerBound)" }
        return "between \(range.lowerBound) and \(range.upperBound)"
    }

    static func format(_ number: Double) -> String {
        number == number.rounded() ? String(Int(number)) : String(number)
    }
}

/// The entries of a mapping in file order, with lookup by key.
struct ConfigMapping {
    struct Entry {
        let name: String
        let keyLine: Int?
        let node: ConfigNode
    }

    let parent: ConfigNode
    let entries: [Entry]

    /// The value at `key`, or an absent node whose line is the mapping's.
    subscript(key: String) -> ConfigNode {
        if let entry = entries.first(where: { $0.name == key }) { return entry.node }
        let path = parent.path.isEmpty ? key : "\(parent.path).\(key)"
        return ConfigNode(node: nil, path: path, fallbackLine: parent.line, context: parent.context)
    }
}
