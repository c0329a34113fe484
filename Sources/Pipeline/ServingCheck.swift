import Deploy
import Foundation
import GCEClient
import GCEModel

/// The last step of a deploy: the release is live only when the load balancer serves it. Waits
/// until `backendServices.getHealth` reports every instance of the release HEALTHY, then sends one
/// request for the health path through the forwarding rule's address and waits for a 2xx answer.
/// Both waits end at the deadline with an error that says which one did not happen.
public struct ServingCheck: Sendable {
    public var connection: TargetConnection
    public var names: ResourceNames
    /// The health check's path, requested through the load balancer.
    public var path: String
    public var pollInterval: Duration = .milliseconds(500)

    public init(connection: TargetConnection, names: ResourceNames, path: String) {
        self.connection = connection
        self.names = names
        self.path = path
    }

    /// Returns the step's outcome line.
    public func run(template: String, release: String, deadline: ContinuousClock.Instant, reporter: any DeployReporter) async throws -> String {
        let step = "serving"
        let started = connection.clock.now()
        let compute = connection.compute
        let groups = compute.instanceGroupManagers(connection.scope)
        guard let instanceGroup = try await groups.get(names.group).instanceGroup else {
            throw DeployError(step: step, reason: "the group \(names.group) reports no instanceGroup URL", hint: "deploy again in a moment")
        }
        var last = ""
        while true {
            let health = try await compute.backendServices.getHealth(names.backendService, group: instanceGroup)
            let progress = ServingProgress.assess(health: health, instances: try await groups.listManagedInstances(names.group),
                                                  template: template)
            let summary = progress.summary(release: release, service: names.backendService)
            if progress.isDone { break }
            if summary != last {
                reporter.progress(step, summary)
                last = summary
            }
            guard connection.clock.now() < deadline else {
                throw DeployError(step: step, reason: "the load balancer does not serve \(release) yet: \(summary)",
                                  hint: "the group's instances are healthy but the backend service \(names.backendService) does not find them so; check its health check and the firewall rule \(names.firewall), then deploy again (nothing is rolled back)")
            }
            try await connection.clock.sleep(pollInterval)
        }
        let healthSeconds = Self.seconds(connection.clock.now() - started)
        guard let address = try await Deployer.address(connection: connection, names: names) else {
            return String(format: "getHealth HEALTHY after %.1f s; no forwarding rule to request through", healthSeconds)
        }
        let url = "http://\(address)\(path)"
        let requestStarted = connection.clock.now()
        var lastProblem = ""
        while true {
            do {
                let response = try await connection.transport.send(TransportRequest(method: "GET", url: url, timeout: .seconds(10)))
                if (200..<300).contains(response.status) { break }
                lastProblem = "HTTP \(response.status)"
            } catch {
                lastProblem = "\(error)"
            }
            if lastProblem != last {
                reporter.progress(step, "GET \(url): \(lastProblem)")
                last = lastProblem
            }
            guard connection.clock.now() < deadline else {
                throw DeployError(step: step, reason: "GET \(url) through the load balancer did not answer 2xx in time (last: \(lastProblem))",
                                  hint: "on Google Cloud a new load balancer can take several minutes to program: run `sortie status`, then deploy again (nothing is rolled back)")
            }
            try await connection.clock.sleep(pollInterval)
        }
        let requestSeconds = Self.seconds(connection.clock.now() - requestStarted)
        return String(format: "getHealth HEALTHY after %.1f s; GET %@ 2xx after %.1f s", healthSeconds, url, requestSeconds)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
