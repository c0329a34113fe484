import ArgumentParser
import Deploy
import DiskImage
import Foundation
import Pipeline

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Roll the group back to the previous release, or to a named one, health-gated.",
        discussion: """
            Moves every instance to the release with the configured surge and waits until all are
            healthy (service.rollout.timeout); if they are not, the group goes back to what it ran.

            Examples:
              sortie rollback
              sortie rollback r3f2a9c01b7de --target prod
            """
    )

    @OptionGroup var project: ProjectOptions

    @Argument(help: "The release (from `sortie releases`); default: the one before the live one.")
    var release: String?

    func run() async throws {
        // The release's template for today's configuration: the target's keys and the instance metadata.
        let result = try await withTarget(project, keys: { ["app", "targets.\($0.name)", "service.metadata"] }) { configuration, connection, names in
            let target = connection.target
            return try await ReleaseRollback(connection: connection, names: names, timeout: .seconds(configuration.service.rollout.timeoutSeconds)) {
                ReleaseTemplate.make(configuration: configuration, target: target, release: $0,
                                     metadata: configuration.service.metadata.mapValues(\.value))
            }.run(to: release, reporter: ConsoleReporter())
        }
        print("Rolled back \(result.from) → \(result.to): \(result.summary)")
    }
}

struct GcCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete old releases (template, image, archive) beyond the newest N.",
        discussion: """
            Never deletes a release the group runs or any group's versions name.

            Examples:
              sortie gc --dry-run
              sortie gc --keep 5 --target prod
            """
    )

    @OptionGroup var project: ProjectOptions

    @Option(help: "How many of the newest releases to keep.")
    var keep: Int = 5

    @Flag(help: "Show what would be deleted, delete nothing.")
    var dryRun = false

    @Flag(help: "Print JSON on standard output.")
    var json = false

    func validate() throws {
        guard keep >= 1 else { throw ValidationError("--keep must be at least 1") }
    }

    func run() async throws {
        let result = try await withTarget(project) { _, connection, names in
            try await GarbageCollector(connection: connection, names: names).run(keep: keep, dryRun: dryRun, reporter: ConsoleReporter())
        }
        if json {
            struct Output: Encodable { var dryRun: Bool; var removed: [GarbageCollector.Removal]; var kept: [String] }
            return try printJSON(Output(dryRun: dryRun, removed: result.removed, kept: result.kept))
        }
        let verb = dryRun ? "Would delete" : "Deleted"
        print(result.removed.isEmpty ? "Nothing to delete." : "\(verb) \(result.removed.count) release(s): \(result.removed.map(\.release).joined(separator: ", "))")
        print("Kept \(result.kept.count): \(result.kept.joined(separator: ", "))")
    }
}
