/// The example's settings, from the kernel command line.
struct AppConfig {
    var version: String
    var healthFails: Bool
    var crashAfter: Int?
    var crashAtBoot: Bool
    var port: UInt16
    var name: String?

    init(_ cmd: KernelCommandLine) {
        version = cmd["version"] ?? "1"
        healthFails = cmd.has("health", "fail")
        crashAfter = cmd.integer("crash-after")
        crashAtBoot = cmd.has("crash", "boot")
        port = UInt16(truncatingIfNeeded: cmd.integer("port") ?? 80)
        if port == 0 { port = 80 }
        name = cmd["name"]
    }
}
