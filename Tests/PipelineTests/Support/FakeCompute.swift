import Foundation
import GCEClient
import Synchronization

/// Time that passes only when the code under test sleeps.
final class ManualClock: Sendable {
    private let state = Mutex<(now: ContinuousClock.Instant, slept: Duration)>((ContinuousClock.now, .zero))

    /// Total time slept.
    var slept: Duration { state.withLock { $0.slept } }

    var clientClock: ClientClock {
        ClientClock(now: { self.state.withLock { $0.now } },
                    sleep: { duration in self.state.withLock { $0.now += duration; $0.slept += duration } },
                    random: { 0.5 })
    }
}

/// A managed instance group as Compute Engine would answer for it, for unit tests of the deploy
/// flow (a fake of the API's state, not of its rules: those are tested against `sortie serve`).
/// Instances on a template in `healthyTemplates` report HEALTHY; the others UNHEALTHY. A PATCH of
/// the versions moves every instance to the new template at once.
final class FakeCompute: HTTPTransport {
    struct State {
        var template: String
        var healthyTemplates: Set<String>
        var patches: [String] = []
        /// The `requestId` of each PATCH of the group, in order.
        var patchRequestIDs: [String] = []
        var requests: [String] = []
        /// Other resources by path (`/compute/v1/projects/…`), answered to a GET as they are.
        var resources: [String: String] = [:]
        /// PATCHes of the group still to apply and then answer with a lost connection.
        var answersToLose = 0
    }


    let state: Mutex<State>
    static let project = "sortie-test", zone = "us-central1-a", group = "hello"
    static let base = "https://compute.test/compute/v1/projects/sortie-test"

    init(template: String, healthyTemplates: Set<String>) {
        state = Mutex(State(template: template, healthyTemplates: healthyTemplates))
    }

    static func templateURL(_ name: String) -> String { "\(base)/global/instanceTemplates/\(name)" }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        let path = URL(string: request.url)?.path ?? request.url
        state.withLock { $0.requests.append("\(request.method) \(path)") }
        let groupPath = "/compute/v1/projects/sortie-test/zones/us-central1-a/instanceGroupManagers/hello"
        switch (request.method, path) {
        case ("GET", groupPath):
            return json(groupBody())
        case ("PATCH", groupPath):
            let body = try JSONSerialization.jsonObject(with: request.body) as? [String: Any]
            let versions = body?["versions"] as? [[String: Any]] ?? []
            let template = (versions.last?["instanceTemplate"] as? String) ?? ""
            let requestID = URLComponents(string: request.url)?.queryItems?.first { $0.name == "requestId" }?.value ?? ""
            let lose = state.withLock { state in
                state.template = template
                state.patches.append(template)
                state.patchRequestIDs.append(requestID)
                defer { state.answersToLose = max(0, state.answersToLose - 1) }
                return state.answersToLose > 0
            }
            if lose {
                // The connection broke after the request was applied: the answer is lost.
                throw TransportError(.connectionLost, "connection reset by peer")
            }
            return json(#"{"kind":"compute#operation","name":"op-1","status":"DONE","zone":"\#(Self.base)/zones/us-central1-a"}"#)
        case ("POST", groupPath + "/listManagedInstances"):
            return json(instancesBody())
        case ("GET", "/compute/v1/projects/sortie-test/zones/us-central1-a/instances/hello-a/serialPort"):
            return json(#"{"contents":"BOOT\nPANIC: cannot bind port 80\n","next":"30"}"#)
        case ("GET", _) where state.withLock({ $0.resources[path] != nil }):
            return json(state.withLock { $0.resources[path]! })
        default:
            return TransportResponse(status: 404, headers: [], body: Data(#"{"error":{"code":404,"message":"no fake for \#(request.method) \#(path)"}}"#.utf8))
        }
    }

    private func json(_ text: String) -> TransportResponse {
        TransportResponse(status: 200, headers: [("Content-Type", "application/json")], body: Data(text.utf8))
    }

    private func groupBody() -> String {
        let template = state.withLock { $0.template }
        return #"""
        {"name":"hello","targetSize":2,"instanceTemplate":"\#(template)",
         "versions":[{"name":"v","instanceTemplate":"\#(template)"}],
         "autoHealingPolicies":[{"healthCheck":"\#(Self.base)/global/healthChecks/hello","initialDelaySec":10}],
         "status":{"isStable":true,"versionTarget":{"isReached":true}}}
        """#
    }

    private func instancesBody() -> String {
        let (template, healthy) = state.withLock { ($0.template, $0.healthyTemplates.contains($0.template)) }
        let instances = ["hello-a", "hello-b"].map { name in
            #"{"instance":"\#(Self.base)/zones/us-central1-a/instances/\#(name)","instanceStatus":"RUNNING","currentAction":"NONE","version":{"instanceTemplate":"\#(template)"},"instanceHealth":[{"detailedHealthState":"\#(healthy ? "HEALTHY" : "UNHEALTHY")"}]}"#
        }
        return #"{"managedInstances":[\#(instances.joined(separator: ","))]}"#
    }
}
