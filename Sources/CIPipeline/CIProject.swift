import DeployConfig
import Foundation
import SortieSupport

/// What the generators need to know about a project besides `sortie.yml`.
public struct CIProject: Sendable, Equatable {
    public var configuration: DeployConfiguration
    /// The config file's path relative to the repository root (`sortie.yml`, `deploy/sortie.yml`).
    public var configPath: String
    /// A MirageOS project (a `config.ml` beside `sortie.yml`, or `mirage` in the build command).
    public var isMirage: Bool
    public var lock: CILock?
    /// `${NAME}` references without a default in the values of `sortie.yml` (not its comments):
    /// each comes from a CI secret.
    public var secretVariables: [String] { configuration.variablesWithoutDefault }

    public init(configuration: DeployConfiguration, configPath: String = "sortie.yml", isMirage: Bool, lock: CILock?) {
        self.configuration = configuration
        self.configPath = configPath
        self.isMirage = isMirage
        self.lock = lock
    }

    /// The directory of `sortie.yml` relative to the repository root ("." for the root).
    public var directory: String {
        let dir = (configPath as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }
}

/// Why a CI pipeline cannot be written.
public typealias CIError = UserError
