import Deploy
import Foundation
import GCEClient
import GCEModel

/// `sortie status` for one target.
public struct StatusReport: Sendable, Codable, Equatable {
    public struct Instance: Sendable, Codable, Equatable {
        public var row: InstanceRow
        /// Seconds since the instance last started, if known.
        public var uptimeSeconds: Int?
    }

    public var target: String
    public var group: String
    /// The releases the group's versions name (two during a canary).
    public var releases: [String]
    public var targetSize: Int
    public var isStable: Bool
    public var instances: [Instance]
    public var autoscalerRecommendation: Int?
    public var address: String?
}

/// Reads a target: its group, instances, releases. Read-only.
public struct TargetInspector: Sendable {
    public var connection: TargetConnection
    public var names: ResourceNames

    public init(connection: TargetConnection, names: ResourceNames) {
        self.connection = connection
        self.names = names
    }

    public func status(now: Date = Date()) async throws -> StatusReport {
        let compute = connection.compute
        let group = try await RolloutDriver(connection: connection, names: names).group()
        let managed = try await compute.instanceGroupManagers(connection.scope).listManagedInstances(names.group)
        var instances: [StatusReport.Instance] = []
        for item in managed {
            let row = InstanceRow(item, names: names)
            var uptime: Int?
            if let zone = row.zone, let vm = try? await compute.instances(zone: zone).get(row.name),
               let stamp = vm.lastStartTimestamp ?? vm.creationTimestamp, let date = Self.parseTimestamp(stamp) {
                uptime = max(0, Int(now.timeIntervalSince(date)))
            }
            instances.append(.init(row: row, uptimeSeconds: uptime))
        }
        let autoscaler = try await compute.ifExists { try await compute.autoscalers(connection.scope).get(names.autoscaler) }
        return StatusReport(target: connection.target.name, group: names.group,
                            releases: RolloutDriver.templates(of: group).map(names.releaseOrName),
                            targetSize: group.targetSize ?? 0, isStable: group.status?.isStable ?? false, instances: instances,
                            autoscalerRecommendation: autoscaler?.recommendedSize,
                            address: try await Deployer.address(connection: connection, names: names))
    }

    /// The app's releases (its family's images), newest first, and which are live.
    public func releases() async throws -> ReleaseHistory {
        let compute = connection.compute
        let images = try await compute.images.list(filter: ComputeFilter.equal(["family": names.imageFamily]))
        let group = try await compute.ifExists { try await compute.instanceGroupManagers(connection.scope).get(names.group) }
        return ReleaseHistory(names: names, images: images, liveTemplates: group.map(RolloutDriver.templates(of:)) ?? [])
    }

    static func parseTimestamp(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
