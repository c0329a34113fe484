import DeployConfig
import DiskImage
import Foundation

/// What the generators need to know about a project besides `sortie.yml`.
public struct CIProject: Sendable, Equatable {
    public var configuration: DeployConfiguration
    /// The config file's path relative to the repository root (`sortie.yml`, `deploy/sortie.yml`).
    public var configPath: String
    /// A MirageOS project (a `config.ml` beside `sortie.yml`, or `mirage` in the build command).
    public var isMirage: Bool
    public var lock: CILock?
    /// `${NAME}` references without a default in `sortie.yml`: each comes from a CI secret.
    public var secretVariables: [String]

    public init(configuration: DeployConfiguration, configPath: String = "sortie.yml", isMirage: Bool, lock: CILock?,
                secretVariables: [String]) {
        self.configuration = configuration
        self.configPath = configPath
        self.isMirage = isMirage
        self.lock = lock
        self.secretVariables = secretVariables
    }

    /// The directory of `sortie.yml` relative to the repository root ("." for the root).
    public var directory: String {
        let dir = (configPath as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }

    /// The names in `${NAME}` references of `yaml` that have no `:-default` (and are not `$${`).
    public static func secretVariables(in yaml: String) -> [String] {
        let pattern = #/\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/#
        var names: [String] = []
        let literal = yaml.replacingOccurrences(of: "$${", with: "")  // `$${` is a literal `${`
        for match in literal.matches(of: pattern) where match.output.2 == nil {
            let name = String(match.output.1)
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// Every `${NAME}` reference in `yaml`, set to a placeholder, so the file parses without the secrets.
    public static func placeholderEnvironment(for yaml: String) -> [String: String] {
        let pattern = #/\$\{([A-Za-z_][A-Za-z0-9_]*)/#
        var environment: [String: String] = [:]
        for match in yaml.matches(of: pattern) { environment[String(match.output.1)] = "placeholder" }
        return environment
    }
}

/// A CI file could not be written as asked.
public struct CIError: UserFacingError, Sendable {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
