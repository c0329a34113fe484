import Deploy
import Foundation
import GCEClient
import GCEModel

/// `sortie gc`: deletes the releases beyond the newest N (templates, image, archive), never one
/// that any group of the project names. Templates first: an image a template still names cannot go.
public struct GarbageCollector: Sendable {
    public struct Removal: Sendable, Codable, Equatable {
        public var release: String
        public var resources: [String]
    }

    public var connection: TargetConnection
    public var names: ResourceNames

    public init(connection: TargetConnection, names: ResourceNames) {
        self.connection = connection
        self.names = names
    }

    /// What was (or with `dryRun`, would be) deleted, and the releases kept.
    public func run(keep: Int, dryRun: Bool, reporter: any DeployReporter) async throws -> (removed: [Removal], kept: [String]) {
        let compute = connection.compute
        let history = try await TargetInspector(connection: connection, names: names).releases()
        // Templates and images are global: a release is protected while any group of the project,
        // in any zone or region and of any target, names one of its templates.
        let groups = try await compute.allInstanceGroupManagers()
        let named = Set(groups.flatMap(RolloutDriver.templates(of:)).compactMap { names.release(ofResource: RolloutProgress.lastSegment($0)) })
        let doomed = history.collectable(keep: keep, protected: named)
        let kept = history.releases.map(\.id).filter { id in !doomed.contains { $0.id == id } }
        let objects = try await archives()
        // Every template of a release (one per configuration it was deployed with).
        let templates = try await compute.instanceTemplates.list().map(\.name)
        var removed: [Removal] = []
        for release in doomed {
            var resources: [String] = []
            for template in templates where names.release(ofResource: template) == release.id {
                resources.append("instance template \(template)")
                if !dryRun { try await deleting { try await compute.instanceTemplates.delete(template) } }
            }
            resources.append("image \(release.image)")
            if !dryRun { try await deleting { try await compute.images.delete(release.image) } }
            let sha = release.provenance?.imageSHA256
            if let sha, objects.contains(names.archiveObject(archiveSHA256: sha)) {
                let object = names.archiveObject(archiveSHA256: sha)
                resources.append("archive gs://\(connection.target.bucket.value)/\(object)")
                if !dryRun { try await deletingObject(object) }
            }
            reporter.progress("gc", (dryRun ? "would delete " : "deleted ") + resources.joined(separator: ", "))
            removed.append(Removal(release: release.id, resources: resources))
        }
        return (removed, kept)
    }

    func archives() async throws -> Set<String> {
        do {
            return Set(try await connection.client.storage.listObjects(bucket: connection.target.bucket.value, prefix: names.app + "/").map(\.name))
        } catch let error as GCEAPIError where error.isNotFound {
            return []
        }
    }

    /// Deletes and waits; already gone (a retried DELETE whose first answer was lost) is done.
    func deleting(_ delete: () async throws -> ComputeOperation) async throws {
        do {
            _ = try await connection.compute.wait(for: try await delete(), timeout: .seconds(300))
        } catch let error as GCEAPIError where error.isNotFound {
            return
        }
    }

    func deletingObject(_ object: String) async throws {
        do {
            try await connection.client.storage.deleteObject(bucket: connection.target.bucket.value, name: object)
        } catch let error as GCEAPIError where error.isNotFound {
            return
        }
    }
}
