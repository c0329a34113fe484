/// A string from `sortie.yml`, which may have been assembled from `${ENV}` references.
///
/// A value that took anything from the environment is secret: its `description` is redacted,
/// and error messages name the reference (`${TOKEN}`) instead of the value. Use `value` only
/// where the real text is needed (a request body, a file path).
public struct ConfigString: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The text with every `${...}` reference resolved.
    public let value: String
    /// Whether any part of `value` came from the environment.
    public let isSecret: Bool
    /// The text as written in the file, before resolution (safe to show: it holds only names).
    public let source: String

    public init(_ value: String, isSecret: Bool = false, source: String? = nil) {
        self.value = value
        self.isSecret = isSecret
        self.source = source ?? value
    }

    public init(stringLiteral value: String) { self.init(value) }

    /// The value, or `<secret>` when it came from the environment.
    public var description: String { isSecret ? ConfigString.redacted : value }

    /// How a message shows this value: `"text"`, or `the value of ${NAME}` for a secret.
    public var quoted: String { isSecret ? "the value of \(source)" : "\"\(value)\"" }

    /// What a redacted value prints as.
    public static let redacted = "<secret>"
}
