import Deploy
import Foundation
import GCEClient
import GCEModel

/// `sortie rollback [RELEASE]`: the group back to the release before the live one, or to the
/// named one, health-gated like a deploy (and put back if the target release does not come up).
public struct ReleaseRollback: Sendable {
    public var connection: TargetConnection
    public var names: ResourceNames
    public var timeout: Duration

    public init(connection: TargetConnection, names: ResourceNames, timeout: Duration) {
        self.connection = connection
        self.names = names
        self.timeout = timeout
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
        let templateName = names.template(release: destination.id)
        let compute = connection.compute
        guard try await compute.ifExists({ try await compute.instanceTemplates.get(templateName) }) != nil else {
            throw DeployError(step: "rollback", reason: "the instance template \(templateName) of \(destination.id) was deleted",
                              hint: "deploy that release again to recreate it")
        }
        reporter.started("rollback", "\(live.id) → \(destination.id)")
        let started = Date()
        let summary: String
        do {
            summary = try await RolloutDriver(connection: connection, names: names)
                .roll(to: compute.link(InstanceTemplate.self, templateName), release: destination.id, canary: 0, timeout: timeout,
                      reporter: reporter, step: "rollback")
        } catch {
            throw DeployError.api("rollback", error)
        }
        reporter.finished("rollback", summary, seconds: Date().timeIntervalSince(started))
        return (live.id, destination.id, summary)
    }
}
