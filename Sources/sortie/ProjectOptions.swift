import ArgumentParser
import Deploy
import DeployConfig
import DiskImage
import Foundation
import Logging
import Pipeline
import SortieSupport

/// `--config` and `--target`, shared by deploy and the operating commands.
struct ProjectOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .long], help: "The pipeline file.")
    var config: String = "sortie.yml"

    @Option(help: "The target to act on (default: local if sortie.yml has it, else its only target).")
    var target: String?

    /// The parsed file, the chosen target, the project directory and `.sortie` in it.
    ///
    /// A `${VAR}` that is not set is an error only in the keys the command uses (`keys`, given
    /// the target): by default those of the operating commands (status, releases, logs,
    /// rollback, gc), which read only the target's settings, so the build's variables are not needed.
    func load(keys: (Target) -> [String] = { ["app", "targets.\($0.name)"] })
        throws -> (configuration: DeployConfiguration, target: Target, directory: String, state: String) {
        let configuration = try DeployConfiguration.load(path: config, environment: SortieEnvironment.variables,
                                                         allowingMissingVariables: true)
        let target = try configuration.target(self.target)
        try configuration.requireEnvironment(for: keys(target))
        let absolute = config.hasPrefix("/") ? config : FileManager.default.currentDirectoryPath + "/" + config
        let directory = (absolute as NSString).deletingLastPathComponent
        return (configuration, target, directory, directory + "/.sortie")
    }

    /// A connection to the target with its credentials.
    func connect(_ target: Target) throws -> TargetConnection {
        do {
            let connection = try TargetConnection(target: target, environment: SortieEnvironment.variables,
                                                  localTokenPath: SortieEnvironment.localPlaneDataDirectory + "/token")
            for warning in connection.warnings { printDiagnostic("warning: \(warning)") }
            return connection
        } catch {
            throw DeployError.api("credentials", error)
        }
    }
}

/// Runs `body` with a connection to the project's target, closing it after.
/// `keys`: the keys of `sortie.yml` the command uses (a `${VAR}` elsewhere may be unset).
func withTarget<T>(_ options: ProjectOptions, keys: @escaping (Target) -> [String] = { ["app", "targets.\($0.name)"] },
                   _ body: (DeployConfiguration, TargetConnection, ResourceNames) async throws -> T) async throws -> T {
    try await reportingErrors {
        let project = try options.load(keys: keys)
        let connection = try options.connect(project.target)
        do {
            let value = try await body(project.configuration, connection, ResourceNames(app: project.configuration.app))
            await connection.close()
            return value
        } catch let error as UserFacingError {
            await connection.close()
            throw error
        } catch {
            await connection.close()
            throw DeployError.api("request", error)
        }
    }
}
