/// One `${NAME}` (or `${NAME:-default}`) in a value of `sortie.yml`: which variable, under which
/// key, and whether the environment the file was parsed with had it.
///
/// Only values count: a reference in a YAML comment is not one.
public struct EnvironmentReference: Sendable, Equatable {
    /// The variable's name.
    public var name: String
    /// The dotted key path of the value that holds the reference (`build.cmdline`).
    public var keyPath: String
    /// The 1-based line of the value, when known.
    public var line: Int?
    /// Written with `:-default`: never missing.
    public var hasDefault: Bool
    /// Not set, and no default: the value is unknown (only with `allowingMissingVariables`).
    public var isMissing: Bool

    public init(name: String, keyPath: String, line: Int?, hasDefault: Bool, isMissing: Bool) {
        self.name = name
        self.keyPath = keyPath
        self.line = line
        self.hasDefault = hasDefault
        self.isMissing = isMissing
    }

    /// Whether the reference is in `key` or in a value below it (`service` covers `service.metadata.token`).
    public func isUnder(_ key: String) -> Bool {
        keyPath == key || keyPath.hasPrefix(key + ".")
    }
}

/// The references met while parsing one file (a class: every node of a parse shares it).
final class EnvironmentReferenceLog {
    private(set) var references: [EnvironmentReference] = []

    func record(_ resolution: EnvironmentInterpolation.Resolution, keyPath: String, line: Int?) {
        for reference in resolution.references {
            references.append(EnvironmentReference(name: reference.name, keyPath: keyPath, line: line, hasDefault: reference.hasDefault,
                                                   isMissing: resolution.missing.contains(reference.name)))
        }
    }
}

extension DeployConfiguration {
    /// Fails with the first reference, in `keys` or below them, to a variable that is missing:
    /// what a command calls for the keys it uses after parsing with `allowingMissingVariables`,
    /// so that a variable only the build needs does not stop `sortie status`.
    public func requireEnvironment(for keys: [String]) throws {
        guard let reference = environmentReferences.first(where: { ref in ref.isMissing && keys.contains { ref.isUnder($0) } }) else { return }
        throw ConfigError.unsetVariable(reference.name, file: file, line: reference.line, keyPath: reference.keyPath)
    }

    /// The variables referenced without a default anywhere in the file, each once, in file order:
    /// those a CI pipeline has to provide (from its secrets).
    public var variablesWithoutDefault: [String] {
        var names: [String] = []
        for reference in environmentReferences where !reference.hasDefault && !names.contains(reference.name) {
            names.append(reference.name)
        }
        return names
    }
}

extension ConfigError {
    /// `the environment variable NAME is not set`, at the value that references it.
    static func unsetVariable(_ name: String, file: String, line: Int?, keyPath: String) -> ConfigError {
        ConfigError(file: file, line: line, keyPath: keyPath, problem: "the environment variable \(name) is not set",
                    hint: "set \(name), or give a default in the file: ${\(name):-default}")
    }
}
