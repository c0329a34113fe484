import ArgumentParser
import ControlPlane
import DiskImage
import Foundation
import Hummingbird
import Logging
import Machine
import ServiceLifecycle
import SortieSupport

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a local control plane that speaks the Compute Engine and Cloud Storage APIs.",
        discussion: """
            Serves the subset of the Compute Engine v1 and Cloud Storage JSON APIs that Sortie uses,
            on loopback unless --listen says otherwise, and runs each instance as a QEMU VM. State
            (resources, operations, objects, upload sessions) is kept in SQLite under --data, so a
            restart, even after kill -9, loses nothing acknowledged; running VMs are adopted or
            restarted. Every request needs the bearer token written (mode 0600) to DATA/token.
            SIGINT or SIGTERM stops accepting requests and powers the guests off (ACPI, then kill).

            Examples:
              sortie serve
              sortie serve --listen 127.0.0.1:9000 --data /var/lib/sortie --max-instances 4
              curl -H "Authorization: Bearer $(cat ~/.local/share/sortie/serve/token)" \\
                http://127.0.0.1:8765/compute/v1/projects/local/zones
            """
    )

    @Option(help: "Address to listen on, HOST:PORT.")
    var listen: String = "127.0.0.1:8765"

    @Option(help: "Data directory (default: $XDG_DATA_HOME/sortie/serve or ~/.local/share/sortie/serve).")
    var data: String?

    @Option(help: "Zones to serve, comma-separated; the region is the zone name without its last -suffix.")
    var zones: String = "local1-a"

    @Option(help: "Most instances running at once.")
    var maxInstances: Int = 8

    @Option(help: "Most guest memory in total, MiB.")
    var maxMemory: Int = 8192

    @Option(help: "Most memory one guest gets, MiB, whatever its machine type says.")
    var guestMemoryCap: Int = 512

    @Option(help: "Acceleration for guests: auto, kvm or tcg.")
    var accel: String = "auto"

    @Option(help: "Seconds guests get to power off on shutdown before they are killed.")
    var shutdownGrace: Double = 10

    @Option(help: "Seconds an autoscaler waits before scaling in (GCE: 600).")
    var autoscalerStabilization: Double = 600

    @Option(help: "Log level: debug, info, warning or error.")
    var logLevel: String = "info"

    @Option(help: "Append every API exchange to this file as JSON lines (for conformance tests).")
    var recordExchanges: String?

    @Option(help: ArgumentHelp("Test only: make chosen requests fail, METHOD:PATH-FRAGMENT=429|503|drop|operation-error[xCOUNT],...", visibility: .hidden))
    var injectFaults: String?

    func validate() throws {
        if let injectFaults { do { _ = try FaultInjection(spec: injectFaults) } catch { throw ValidationError("--inject-faults: \(error)") } }
        guard ["auto", "kvm", "tcg"].contains(accel) else { throw ValidationError("--accel must be auto, kvm or tcg") }
        guard ["debug", "info", "warning", "error"].contains(logLevel) else {
            throw ValidationError("--log-level must be debug, info, warning or error")
        }
        guard maxInstances >= 0, maxMemory > 0, guestMemoryCap >= 64 else {
            throw ValidationError("--max-instances, --max-memory and --guest-memory-cap must be positive (the cap at least 64 MiB)")
        }
        _ = try parseListen()
    }

    func parseListen() throws -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8765")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    var dataDirectory: String { data ?? SortieEnvironment.localPlaneDataDirectory }

    func run() async throws {
        var logger = Logger(label: "sortie.serve")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let (host, requestedPort) = try parseListen()
        let port = requestedPort == 0 ? try PortAllocator.freeLoopbackPort(host: host) : requestedPort
        if !["127.0.0.1", "localhost", "::1"].contains(host) {
            logger.warning("listening on \(host), not loopback: anyone who can reach it and has the token controls this plane")
        }
        let dataDirectory = self.dataDirectory
        let plane: Plane = try await reportingErrors {
            let verdict = try await AccelerationProbe(cacheDirectory: SortieEnvironment.cacheDirectory, grub: SortieEnvironment.grub)
                .resolve(Accelerator(rawValue: accel))
            var config = PlaneConfiguration(dataDirectory: dataDirectory, baseURL: "http://\(host.contains(":") ? "[\(host)]" : host):\(port)")
            config.zones = zones.split(separator: ",").map(String.init)
            config.maxInstances = maxInstances
            config.maxMemoryMiB = maxMemory
            config.guestMemoryCapMiB = guestMemoryCap
            config.accelerator = verdict.accelerator.rawValue
            config.exchangeLog = recordExchanges
            config.autoscalerStabilizationSec = autoscalerStabilization
            if let injectFaults {
                config.faults = try? FaultInjection(spec: injectFaults)
                printDiagnostic("sortie serve: injecting faults: \(injectFaults)")
            }
            do {
                return try Plane(configuration: config, logger: logger)
            } catch let error as UserFacingError {
                throw error
            } catch {
                throw UserError("cannot open the data directory \(dataDirectory): \(error)",
                                      hint: "check that it is writable, or choose another with --data")
            }
        }
        await plane.start()
        let app = PlaneServer.application(plane: plane, host: host, port: port, logger: logger) { actual in
            printDiagnostic("sortie serve: listening on http://\(host):\(actual) (data in \(dataDirectory), token in \(dataDirectory)/token)")
        }
        let grace = shutdownGrace
        let parts = plane.services(grace: grace) {
            printDiagnostic("sortie serve: stopping; powering guests off (up to \(Int(grace)) s)")
        }
        // Shut down in reverse order: the API first, then the plane's tasks, balancers and guests.
        let services = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: parts.map { .init(service: $0) } + [.init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await services.run()
        } catch {
            printError(UserError("the server stopped: \(error)", hint: "is another process using \(listen)? Choose another port with --listen"))
            throw ExitCode(1)
        }
        printDiagnostic("sortie serve: stopped")
    }
}

