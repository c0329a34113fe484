import ArgumentParser

struct BootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "boot", abstract: "Boot an image or kernel in QEMU.")
    func run() async throws {}
}
