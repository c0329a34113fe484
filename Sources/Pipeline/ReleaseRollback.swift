import Deploy
import Foundation
import GCEClient
import GCEModel

/// `sortie rollback [RELEASE]`: the group back to the release before the live one, or to the
/// named one, health-gated like a deploy (and put back if the target release does not come up).
/// The release runs with the current configuration: its template for today's `sortie.yml` is
/// used, and made if a configuration change since then means it does not exist yet.
public struct ReleaseRollback: Sendable {
    public var connection: TargetConnection
    public var names: ResourceNames
    public var timeout: Duration
    /// The instance template of a release (by id) for the current configuration.
    public var template: @Sendable (String) -> InstanceTemplate

    public init(connection: TargetConnection, names: ResourceNames, timeout: Duration,
                template: @escaping @Sendable (String) -> InstanceTemplate) {
        self.connection = connection
        self.names = names
        self.timeout = timeout
        self.template = template
    }

    /// Returns (from, to) releases.
    public func run(to requested: String?, reporter: any DeployReporter) async throws -> (from: String, to: String, summary: String) {
        let history = try await TargetInspector(connection: connection, names: names).releases()
        guard let live = history.live.first else {
            throw DeployError(step: "rollback", reason: "the group \(names.group) on \(connection.target.name) runs no release of \(names.app)",
                              hint: "deploy first: `sortie deploy --target \(connection.target.name)`")
        }
        let destination: Release
        if let requested {
            let wanted = requested.hasPrefix(names.app + "-") ? String(requested.dropFirst(names.app.count + 1)) : requested
            guard let found = history.releases.first(where: { $0.id == wanted }) else {
                throw DeployError(step: "rollback", reason: "there is no release \(requested) of \(names.app) (releases: \(history.releases.map(\.id).joined(separator: ", ")))",
                                  hint: "`sortie releases` lists them")
            }
            destination = found
        } else {
            guard let previous = history.previous else {
                throw DeployError(step: "rollback", reason: "\(live.id) is the oldest release of \(names.app); there is nothing to roll back to",
                                  hint: "`sortie releases` lists them")
            }
            destination = previous
        }
        guard destination.status == "READY" else {
            throw DeployError(step: "rollback", reason: "the image of \(destination.id) is \(destination.status), not READY")
        }
        let template = self.template(destination.id)
        let compute = connection.compute
        reporter.started("rollback", "\(live.id) → \(destination.id)")
        let started = Date()
        let summary: String
        do {
            if try await compute.ifExists({ try await compute.instanceTemplates.get(template.name) }) == nil {
                reporter.progress("rollback", "creating instance template \(template.name)")
                do {
                    _ = try await compute.wait(for: try await compute.instanceTemplates.insert(template), timeout: .seconds(300))
                } catch let error as GCEAPIError where error.isAlreadyExists {}
            }
            summary = try await RolloutDriver(connection: connection, names: names)
                .roll(to: compute.reference(InstanceTemplate.self, template.name), release: destination.id, canary: 0, timeout: timeout,
                      reporter: reporter, step: "rollback")
        } catch {
            throw DeployError.api("rollback", error)
        }
        reporter.finished("rollback", summary, seconds: Date().timeIntervalSince(started))
        return (live.id, destination.id, summary)
    }
}
