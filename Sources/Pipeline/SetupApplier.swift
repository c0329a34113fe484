import Deploy
import Foundation
import GCEClient
import GCEModel

/// Step 5 of a deploy: reads what the target has of the one-time setup, and creates or updates
/// it in dependency order. Every call is idempotent: an insert that finds the resource (a retry
/// whose first answer was lost, or a run that crashed) counts as done.
public struct SetupApplier: Sendable {
    public var connection: TargetConnection
    public var desired: DesiredSetup

    public init(connection: TargetConnection, desired: DesiredSetup) {
        self.connection = connection
        self.desired = desired
    }

    var compute: ComputeClient { connection.compute }
    var names: ResourceNames { desired.names }

    /// What exists now, read with GETs only.
    public static func readExisting(connection: TargetConnection, names: ResourceNames) async throws -> ExistingSetup {
        let compute = connection.compute
        let scope = connection.scope
        var existing = ExistingSetup()
        existing.healthCheck = try await compute.ifExists { try await compute.healthChecks.get(names.healthCheck) }
        existing.firewall = try await compute.ifExists { try await compute.firewalls.get(names.firewall) }
        existing.group = try await compute.ifExists { try await compute.instanceGroupManagers(scope).get(names.group) }
        if existing.group != nil {
            existing.groupMinReadySec = try await compute.instanceGroupManagers(scope).minReadySec(names.group)
        }
        existing.autoscaler = try await compute.ifExists { try await compute.autoscalers(scope).get(names.autoscaler) }
        existing.backendService = try await compute.ifExists { try await compute.backendServices.get(names.backendService) }
        existing.urlMap = try await compute.ifExists { try await compute.urlMaps.get(names.urlMap) }
        existing.httpProxy = try await compute.ifExists { try await compute.targetHttpProxies.get(names.httpProxy) }
        existing.forwardingRule = try await compute.ifExists { try await compute.globalForwardingRules.get(names.forwardingRule) }
        return existing
    }

    /// Applies `steps` (from `SetupPlanner`); a group to create starts on `template` (a URL).
    /// Returns the number of resources created and updated.
    public func apply(_ steps: [SetupStep], template: String, release: String,
                      reporter: any DeployReporter) async throws -> (created: Int, updated: Int) {
        var created = 0, updated = 0
        for step in steps {
            switch step.action {
            case .keep: continue
            case .delete:
                reporter.progress("setup", "deleting \(step.kind.rawValue) \(step.name)")
                try await delete(step.kind, name: step.name)
                updated += 1
            case .create:
                reporter.progress("setup", "creating \(step.kind.rawValue) \(step.name)")
                try await create(step.kind, template: template, release: release)
                created += 1
            case .update(let changes):
                reporter.progress("setup", "updating \(step.kind.rawValue) \(step.name): \(changes.joined(separator: "; "))")
                try await update(step.kind, changes: changes)
                updated += 1
            }
        }
        return (created, updated)
    }

    func create(_ kind: SetupStep.Kind, template: String, release: String) async throws {
        let scope = connection.scope
        switch kind {
        case .healthCheck: try await idempotent { try await compute.healthChecks.insert(desired.healthCheck) }
        case .firewall: try await idempotent { try await compute.firewalls.insert(desired.firewall) }
        case .group:
            var group = desired.group
            group.instanceTemplate = template
            group.versions = [.init(name: release, instanceTemplate: template)]
            try await idempotent { try await compute.instanceGroupManagers(scope).insert(group) }
            try await wait(try await compute.instanceGroupManagers(scope).setMinReadySec(names.group, desired.minReadySec))
        case .autoscaler:
            guard let autoscaler = desired.autoscaler else { return }
            try await idempotent { try await compute.autoscalers(scope).insert(autoscaler) }
        case .backendService:
            let service = try await backendService()
            try await idempotent { try await compute.backendServices.insert(service) }
        case .urlMap: try await idempotent { try await compute.urlMaps.insert(desired.urlMap) }
        case .httpProxy: try await idempotent { try await compute.targetHttpProxies.insert(desired.httpProxy) }
        case .forwardingRule: try await idempotent { try await compute.globalForwardingRules.insert(desired.forwardingRule) }
        }
    }

    func update(_ kind: SetupStep.Kind, changes: [String]) async throws {
        let scope = connection.scope
        switch kind {
        case .healthCheck: try await wait(try await compute.healthChecks.patch(names.healthCheck, desired.healthCheck))
        case .firewall: try await wait(try await compute.firewalls.patch(names.firewall, desired.firewall))
        case .group:
            // Only the fields the setup owns: versions belong to the rollout, size to the autoscaler
            // (without one, the size is set with resize, as GCE has it).
            let special = [SetupPlanner.targetSizeField + ":", SetupPlanner.minReadySecField + ":"]
            if changes.contains(where: { change in !special.contains { change.hasPrefix($0) } }) {
                var patch = InstanceGroupManager()
                patch.namedPorts = desired.group.namedPorts
                patch.autoHealingPolicies = desired.group.autoHealingPolicies
                patch.updatePolicy = desired.group.updatePolicy
                try await wait(try await compute.instanceGroupManagers(scope).patch(names.group, patch))
            }
            if let size = desired.group.targetSize, changes.contains(where: { $0.hasPrefix(SetupPlanner.targetSizeField + ":") }) {
                try await wait(try await compute.instanceGroupManagers(scope).resize(names.group, size: size))
            }
            if changes.contains(where: { $0.hasPrefix(SetupPlanner.minReadySecField + ":") }) {
                try await wait(try await compute.instanceGroupManagers(scope).setMinReadySec(names.group, desired.minReadySec))
            }
        case .autoscaler:
            guard let autoscaler = desired.autoscaler else { return }
            try await wait(try await compute.autoscalers(scope).patch(autoscaler: names.autoscaler, autoscaler))
        case .backendService:
            // GCE refuses an update without the current fingerprint (412 conditionNotMet).
            var service = try await backendService()
            service.fingerprint = try await compute.backendServices.get(names.backendService).fingerprint
            try await wait(try await compute.backendServices.patch(names.backendService, service))
        case .urlMap:
            var urlMap = desired.urlMap
            urlMap.fingerprint = try await compute.urlMaps.get(names.urlMap).fingerprint
            try await wait(try await compute.urlMaps.patch(names.urlMap, urlMap))
        case .httpProxy, .forwardingRule:
            let name = kind == .httpProxy ? names.httpProxy : names.forwardingRule
            throw DeployError(step: "setup", reason: "the \(kind.rawValue) \(name) differs from \(desired.names.app)'s configuration (\(changes.joined(separator: "; "))) and cannot be changed in place",
                              hint: "delete it (it carries no state) and deploy again to recreate it")
        }
    }

    /// Deletes a resource `sortie.yml` no longer wants (only an autoscaler is ever deleted); gone already is done.
    func delete(_ kind: SetupStep.Kind, name: String) async throws {
        guard kind == .autoscaler else { return }
        do {
            try await wait(try await compute.autoscalers(connection.scope).delete(name))
        } catch let error as GCEAPIError where error.isNotFound {
            return
        }
    }

    /// The backend service to send: its backend is the group's instance group by the fully
    /// qualified URL the group manager reports (`instanceGroup`); GCE refuses partial URLs there.
    func backendService() async throws -> BackendService {
        var service = desired.backendService
        let group = try await compute.instanceGroupManagers(connection.scope).get(names.group)
        guard let instanceGroup = group.instanceGroup else {
            throw DeployError(step: "setup", reason: "the group \(names.group) reports no instanceGroup URL for the backend service",
                              hint: "wait a moment and deploy again")
        }
        service.backends = service.backends?.map { backend in
            var backend = backend
            backend.group = instanceGroup
            return backend
        }
        return service
    }

    /// Inserts and waits; a resource that already exists (409) is what we wanted.
    func idempotent(_ insert: () async throws -> ComputeOperation) async throws {
        do {
            try await wait(try await insert())
        } catch let error as GCEAPIError where error.isAlreadyExists {
            return
        } catch let error as OperationFailedError where error.errors.contains(where: { $0.code == "RESOURCE_ALREADY_EXISTS" }) {
            return
        }
    }

    func wait(_ operation: ComputeOperation) async throws {
        _ = try await compute.wait(for: operation, timeout: .seconds(600))
    }
}
