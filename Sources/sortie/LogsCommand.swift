import ArgumentParser
import Deploy
import DiskImage
import Foundation
import GCEModel
import Pipeline

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print an instance's serial console (getSerialPortOutput), optionally following it.",
        discussion: """
            Without INSTANCE, the group's first instance. --follow keeps reading from where the
            last read stopped, once a second, until interrupted.

            Examples:
              sortie logs
              sortie logs hello-x7k2 --follow
            """
    )

    @OptionGroup var project: ProjectOptions

    @Argument(help: "The instance (from `sortie status`).")
    var instance: String?

    @Flag(help: "Keep printing new output.")
    var follow = false

    func run() async throws {
        try await withTarget(project) { _, connection, names in
            let managed = try await connection.compute.instanceGroupManagers(connection.scope).listManagedInstances(names.group)
            let rows = managed.map { InstanceRow($0, names: names) }
            guard let row = instance.map({ name in rows.first { $0.name == name } }) ?? rows.first else {
                throw DeployError(step: "logs", reason: instance.map { "the group \(names.group) has no instance \($0) (instances: \(rows.map(\.name).joined(separator: ", ")))" }
                                      ?? "the group \(names.group) has no instances",
                                  hint: "`sortie status` lists them")
            }
            guard let zone = row.zone ?? { if case .zone(let zone) = connection.target.location { return zone.value } else { return nil } }() else {
                throw DeployError(step: "logs", reason: "cannot tell the zone of \(row.name)")
            }
            let instances = connection.compute.instances(zone: zone)
            var start: Int64?
            repeat {
                let output = try await instances.serialPortOutput(row.name, start: start)
                if let contents = output.contents, !contents.isEmpty {
                    FileHandle.standardOutput.write(Data(contents.utf8))
                }
                start = output.next?.value ?? start
                if follow { try await Task.sleep(for: .seconds(1)) }
            } while follow
        }
    }
}
