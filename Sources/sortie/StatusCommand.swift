import ArgumentParser
import Deploy
import DiskImage
import Foundation
import Pipeline

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the group on a target: each instance's release, status, health and uptime.",
        discussion: """
            Examples:
              sortie status
              sortie status --target prod --json
            """
    )

    @OptionGroup var project: ProjectOptions

    @Flag(help: "Print JSON on standard output.")
    var json = false

    func run() async throws {
        let report = try await withTarget(project) { _, connection, names in
            try await TargetInspector(connection: connection, names: names).status()
        }
        if json { return try printJSON(report) }
        var lines = ["Target \(report.target): group \(report.group), \(report.instances.count) of \(report.targetSize) instance(s), "
            + (report.isStable ? "stable" : "changing") + ", release \(report.releases.joined(separator: " + "))"]
        if let recommendation = report.autoscalerRecommendation { lines.append("Autoscaler recommends \(recommendation) instance(s)") }
        if let address = report.address { lines.append("Load balancer: http://\(address)/") }
        lines.append("")
        lines.append(Table(header: ["INSTANCE", "RELEASE", "STATUS", "ACTION", "HEALTH", "UPTIME"], rows: report.instances.map {
            [$0.row.name, $0.row.release, $0.row.status, $0.row.action, $0.row.health, $0.uptimeSeconds.map(Self.duration) ?? "-"]
        }).render())
        print(lines.joined(separator: "\n"))
    }

    static func duration(_ seconds: Int) -> String {
        if seconds < 120 { return "\(seconds)s" }
        if seconds < 7200 { return "\(seconds / 60)m" }
        if seconds < 172_800 { return "\(seconds / 3600)h" }
        return "\(seconds / 86400)d"
    }
}

struct ReleasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "releases",
        abstract: "List the releases (images of the app's family) with their provenance, and which is live.",
        discussion: """
            Examples:
              sortie releases
              sortie releases --target prod --json
            """
    )

    @OptionGroup var project: ProjectOptions

    @Flag(help: "Print JSON on standard output.")
    var json = false

    func run() async throws {
        let history = try await withTarget(project) { _, connection, names in
            try await TargetInspector(connection: connection, names: names).releases()
        }
        if json { return try printJSON(history.releases) }
        guard !history.releases.isEmpty else { return print("No releases yet; `sortie deploy` makes the first.") }
        print(Table(header: ["RELEASE", "LIVE", "CREATED", "STATUS", "COMMIT", "IMAGE"], rows: history.releases.map { release in
            let commit = release.provenance?.gitCommit.map { String($0.prefix(12)) + (release.provenance?.gitDirty == true ? "+dirty" : "") } ?? "-"
            return [release.id, release.isLive ? "*" : "", release.created, release.status, commit, release.image]
        }).render())
    }
}
