import ArgumentParser

/// The `sortie` command: continuous deployment of unikernels.
@main
struct Sortie: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sortie",
        abstract: "Turn unikernels into bootable GCE images, boot them, and deploy them.",
        discussion: """
            Examples:
              sortie init --kernel dist/hello.virtio
              sortie image build hello.virtio --cmdline "--dhcp=true" -o hello.tar.gz
              sortie image inspect hello.tar.gz
              sortie boot hello.tar.gz --expect "Solo5: Application exit"
            """,
        version: SortieVersion.current,
        subcommands: [InitCommand.self, ImageCommand.self, BootCommand.self, ServeCommand.self, DeployCommand.self,
                      StatusCommand.self, ReleasesCommand.self, RollbackCommand.self, LogsCommand.self, GcCommand.self, CICommand.self]
    )
}

enum SortieVersion {
    static let current = "0.1.0"
}
