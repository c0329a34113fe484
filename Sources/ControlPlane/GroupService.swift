import Foundation
import Logging

/// Managed instance groups (zonal and regional) and the instance groups they create: the API
/// resources. The instances themselves are brought to the declared state by `GroupReconciler`.
final class GroupService: Sendable {
    let store: Store
    let operations: Operations
    let instances: InstanceRuntime
    let configuration: PlaneConfiguration
    /// Owns the group deletions this service starts.
    let tasks: TaskOwner
    let logger: Logger

    init(store: Store, operations: Operations, instances: InstanceRuntime, configuration: PlaneConfiguration, tasks: TaskOwner, logger: Logger) {
        self.tasks = tasks
        self.store = store
        self.operations = operations
        self.instances = instances
        self.configuration = configuration
        self.logger = logger
    }

    func base(_ project: String) -> String { "\(configuration.baseURL)/compute/v1/projects/\(project)" }

    /// Zones a group spreads over: its own zone, or a regional group's distribution policy.
    func zones(of group: JSONValue, scope: String) -> [String] {
        if scope.hasPrefix("zones/") { return [String(scope.dropFirst(6))] }
        let region = String(scope.dropFirst(8))
        let listed = group["distributionPolicy"]?["zones"]?.array?.compactMap { $0["zone"]?.string?.split(separator: "/").last.map(String.init) } ?? []
        let inRegion = configuration.zones.filter { PlaneConfiguration.region(ofZone: $0) == region }
        return listed.isEmpty ? inRegion : listed.filter(inRegion.contains)
    }

    /// A group as the v1 API shows it: without the beta-only `updatePolicy.minReadySec`.
    static func v1View(_ group: JSONValue) -> JSONValue {
        guard group["updatePolicy"]?["minReadySec"] != nil, var policy = group["updatePolicy"] else { return group }
        var view = group
        policy["minReadySec"] = nil
        view["updatePolicy"] = policy
        return view
    }

    // MARK: instanceGroupManagers

    func handle(_ request: APIRequest, project: String, scope: String, name: String?, verb: String?) async throws -> APIResponse {
        let path = "projects/\(project)/\(scope)/instanceGroupManagers"
        let requestId = request.query["requestId"]
        if request.method != "GET", let op = try operations.existing(requestId: requestId, project: project) { return APIResponse(json: op) }
        switch (request.method, name, verb) {
        case ("GET", nil, nil):
            return ListResponse.make(base: base(project), project: project, path: "\(scope)/instanceGroupManagers",
                                     kind: "compute#instanceGroupManagerList", items: try store.list(path).map(Self.v1View), request)
        case ("GET", let name?, nil):
            guard let group = try store.get(path, name) else { throw APIError.notFound("\(path)/\(name)") }
            return APIResponse(json: Self.v1View(group))
        case ("POST", nil, nil):
            return APIResponse(json: try insert(try request.json(), project: project, scope: scope, requestId: requestId))
        case ("PATCH", let name?, nil):
            let patch = try request.json()
            try SchemaValidator.compute.validate(patch, as: "InstanceGroupManager")
            // Check and normalise outside the transaction (normalising reads other resources),
            // then write only if nobody changed the group meanwhile.
            guard let current = try store.get(path, name) else { throw APIError.notFound("\(path)/\(name)") }
            if let fingerprint = patch["fingerprint"]?.string, fingerprint != current["fingerprint"]?.string {
                throw APIError(412, "conditionNotMet", "Supplied fingerprint does not match current fingerprint.")
            }
            var merged = current.mergePatched(with: patch)
            for key in ["kind", "id", "creationTimestamp", "selfLink", "name", "zone", "region", "instanceGroup", "baseInstanceName",
                        "status", "currentActions"] {
                merged[key] = current[key]
            }
            try normalise(&merged, project: project, scope: scope)
            merged["fingerprint"] = .string(Identifiers.randomToken(bytes: 8))
            let group = try replace(path, name, expecting: current, with: merged)
            return APIResponse(json: try done(project, scope, "patch", group, requestId))
        case ("POST", let name?, "resize"):
            guard let text = request.query["size"], let size = Int(text), size >= 0 else { throw APIError.required("size") }
            let group = try store.mutate(path, name) { $0["targetSize"] = .number(Double(size)) }
            return APIResponse(json: try done(project, scope, "compute.instanceGroupManagers.resize", group, requestId))
        case ("POST", let name?, "setInstanceTemplate"):
            let body = try request.json()
            guard let template = body["instanceTemplate"]?.string else { throw APIError.required("instanceTemplate") }
            guard let current = try store.get(path, name) else { throw APIError.notFound("\(path)/\(name)") }
            var updated = current
            updated["instanceTemplate"] = .string(template)
            updated["versions"] = [["instanceTemplate": .string(template)]]
            try normalise(&updated, project: project, scope: scope)
            let group = try replace(path, name, expecting: current, with: updated)
            return APIResponse(json: try done(project, scope, "compute.instanceGroupManagers.setInstanceTemplate", group, requestId))
        case ("POST", let name?, "listManagedInstances"), ("POST", let name?, "listInstances"):
            guard let group = try store.get(path, name) else { throw APIError.notFound("\(path)/\(name)") }
            return APIResponse(json: ["managedInstances": .array(try managedInstances(group, project: project))])
        case ("DELETE", let name?, nil):
            guard let group = try store.get(path, name) else { throw APIError.notFound("\(path)/\(name)") }
            if let user = try backendServiceUsing(group["instanceGroup"]?.string ?? "", project: project) {
                throw APIError.inUse("\(path)/\(name)", by: user)
            }
            let op = try operations.begin(project: project, scope: scope, type: "delete", targetLink: group["selfLink"]?.string ?? "",
                                          targetId: group["id"]?.string, requestId: requestId)
            // Not cancelled at shutdown: it runs to the end so the operation finishes.
            tasks.spawn { [self] in
                for member in (try? members(of: group)) ?? [] {
                    _ = try? await instances.delete(project: project, zone: member.zone, name: member.name, requestId: nil)
                }
                try? store.delete(path, name)
                try? store.delete("projects/\(project)/\(scope)/instanceGroups", name)
                operations.finish(op.collection, op.body["name"]?.string ?? "")
            }
            return APIResponse(json: op.body)
        default:
            throw APIError(404, "notFound", "No Compute API at \(request.path)")
        }
    }

    /// Writes `updated` if the group still has `current`'s fingerprint (412 otherwise).
    func replace(_ path: String, _ name: String, expecting current: JSONValue, with updated: JSONValue) throws -> JSONValue {
        try store.mutate(path, name) { group in
            guard group["fingerprint"] == current["fingerprint"] else {
                throw APIError(412, "conditionNotMet", "The group changed while this request was processed; read it again and retry.")
            }
            var next = updated
            next["status"] = group["status"]
            next["currentActions"] = group["currentActions"]
            group = next
        }
    }

    func done(_ project: String, _ scope: String, _ type: String, _ group: JSONValue, _ requestId: String?) throws -> JSONValue {
        try operations.begin(project: project, scope: scope, type: type, targetLink: group["selfLink"]?.string ?? "",
                             targetId: group["id"]?.string, requestId: requestId, done: true).body
    }

    func insert(_ request: JSONValue, project: String, scope: String, requestId: String?) throws -> JSONValue {
        try SchemaValidator.compute.validate(request, as: "InstanceGroupManager")
        try ResourceValidation.common(request)
        var group = request
        let name = group["name"]!.string!
        guard group["targetSize"] != nil || group["targetSize"]?.number != nil else { throw APIError.required("resource.targetSize") }
        let base = group["baseInstanceName"]?.string ?? name
        guard base.count <= 58, base.range(of: "^[a-z]([-a-z0-9]*[a-z0-9])?$", options: .regularExpression) != nil else {
            throw APIError.invalid("Invalid value for field 'resource.baseInstanceName': '\(base)'. Must be 1-58 characters, RFC 1035.")
        }
        if group["versions"] == nil, group["instanceTemplate"] == nil { throw APIError.required("resource.instanceTemplate") }
        group["baseInstanceName"] = .string(base)
        try normalise(&group, project: project, scope: scope)
        let selfLink = "\(self.base(project))/\(scope)/instanceGroupManagers/\(name)"
        group["kind"] = "compute#instanceGroupManager"
        group["id"] = .string(Identifiers.newID())
        group["creationTimestamp"] = .string(Identifiers.timestamp())
        group["selfLink"] = .string(selfLink)
        group["fingerprint"] = .string(Identifiers.randomToken(bytes: 8))
        group["instanceGroup"] = .string("\(self.base(project))/\(scope)/instanceGroups/\(name)")
        if scope.hasPrefix("zones/") { group["zone"] = .string("\(self.base(project))/\(scope)") }
        else {
            group["region"] = .string("\(self.base(project))/\(scope)")
            group["distributionPolicy"] = ["zones": .array(zones(of: group, scope: scope).map { ["zone": .string("\(self.base(project))/zones/\($0)")] }),
                                           "targetShape": "EVEN"]
        }
        group["status"] = ["isStable": false, "versionTarget": ["isReached": false]]
        group["currentActions"] = GroupStatusJSON.emptyActions
        group["listManagedInstancesResults"] = "PAGELESS"
        let instanceGroup: JSONValue = [
            "kind": "compute#instanceGroup", "id": .string(Identifiers.newID()), "name": .string(name),
            "creationTimestamp": group["creationTimestamp"]!, "selfLink": group["instanceGroup"]!,
            "namedPorts": group["namedPorts"] ?? [], "size": 0, "fingerprint": .string(Identifiers.randomToken(bytes: 8)),
            "network": .string("\(self.base(project))/global/networks/default"),
            "description": .string("This instance group is controlled by Instance Group Manager '\(name)'."),
        ]
        try store.insert("projects/\(project)/\(scope)/instanceGroupManagers", name, group)
        var ig = instanceGroup
        if scope.hasPrefix("zones/") { ig["zone"] = .string("\(self.base(project))/\(scope)") } else { ig["region"] = .string("\(self.base(project))/\(scope)") }
        try? store.insert("projects/\(project)/\(scope)/instanceGroups", name, ig)
        return try operations.begin(project: project, scope: scope, type: "insert", targetLink: selfLink,
                                    targetId: group["id"]?.string, requestId: requestId, done: true).body
    }

    /// Fills GCE's defaults and checks references: versions from `instanceTemplate`, templates and
    /// health checks that exist, the update policy (`UpdatePolicyRules`, with the zones of the
    /// group in `scope`).
    func normalise(_ group: inout JSONValue, project: String, scope: String) throws {
        if group["versions"] == nil || group["versions"]?.array?.isEmpty == true, let template = group["instanceTemplate"]?.string {
            group["versions"] = [["instanceTemplate": .string(template)]]
        }
        guard var versions = group["versions"]?.array, !versions.isEmpty else { throw APIError.required("resource.versions") }
        var unsized = 0
        for i in versions.indices {
            guard let template = versions[i]["instanceTemplate"]?.string,
                  let ref = ResourceReference.parse(template, project: project, scope: "global", collection: "instanceTemplates"),
                  let body = try store.get(ref.collectionPath, ref.name) else {
                throw APIError(404, "notFound", "The resource '\(versions[i]["instanceTemplate"]?.string ?? "(none)")' of type 'instance template' was not found (resource.versions[\(i)].instanceTemplate).")
            }
            try checkSubnetworkRegions(of: body, template: template, field: "resource.versions[\(i)].instanceTemplate", scope: scope)
            versions[i]["instanceTemplate"] = .string("\(base(ref.project))/global/instanceTemplates/\(ref.name)")
            if versions[i]["targetSize"] == nil { unsized += 1 }
        }
        guard unsized == 1 else {
            throw APIError.invalid("Exactly one version must leave the targetSize field unset (resource.versions).")
        }
        group["versions"] = .array(versions)
        group["instanceTemplate"] = versions.first { $0["targetSize"] == nil }?["instanceTemplate"]
        if let policies = group["autoHealingPolicies"]?.array {
            guard policies.count <= 1 else { throw APIError.invalid("Only one autoHealingPolicies entry is allowed.") }
            var fixed: [JSONValue] = []
            for policy in policies {
                guard let link = policy["healthCheck"]?.string,
                      let ref = ResourceReference.parse(link, project: project, scope: "global", collection: "healthChecks"),
                      try store.get(ref.collectionPath, ref.name) != nil else {
                    throw APIError(404, "notFound", "The resource '\(policy["healthCheck"]?.string ?? "")' of type 'health check' was not found (resource.autoHealingPolicies[0].healthCheck).")
                }
                var p = policy
                p["healthCheck"] = .string("\(base(ref.project))/global/healthChecks/\(ref.name)")
                if p["initialDelaySec"] == nil { p["initialDelaySec"] = 0 }
                // "The value of initial delay must be between 0 and 3600 seconds." (discovery document)
                if let delay = p["initialDelaySec"]?.number, !(0...3600).contains(delay) {
                    throw APIError.invalid("Invalid value for field 'resource.autoHealingPolicies[0].initialDelaySec': '\(ResourceValidation.quoted(delay))'. The value of initial delay must be between 0 and 3600 seconds.")
                }
                fixed.append(p)
            }
            group["autoHealingPolicies"] = .array(fixed)
        }
        try UpdatePolicyRules.normalise(&group, zoneCount: zones(of: group, scope: scope).count, regional: scope.hasPrefix("regions/"))
    }

    /// A template's subnetworks must lie in the group's region (GCE creates the group's instances
    /// there); 400 `invalid` otherwise.
    func checkSubnetworkRegions(of template: JSONValue, template reference: String, field: String, scope: String) throws {
        let region = scope.hasPrefix("zones/") ? PlaneConfiguration.region(ofZone: String(scope.dropFirst(6))) : String(scope.dropFirst(8))
        for nic in template["properties"]?["networkInterfaces"]?.array ?? [] {
            guard let subnetRegion = NetworkService.region(ofSubnetwork: nic["subnetwork"]?.string), subnetRegion != region else { continue }
            throw APIError.invalid("Invalid value for field '\(field)': '\(reference)'. The template's subnetwork '\(nic["subnetwork"]?.string ?? "")' is in region '\(subnetRegion)'; the group's instances are in region '\(region)'.")
        }
    }

    /// A member of a group: one of its instances.
    struct Member {
        var name: String
        var zone: String
        var instance: JSONValue
        var vm: JSONValue
    }
}

/// The `status` and `currentActions` GCE reports on a group.
enum GroupStatusJSON {
    static let emptyActions: JSONValue = ["none": 0, "creating": 0, "creatingWithoutRetries": 0, "deleting": 0, "recreating": 0,
                                          "refreshing": 0, "restarting": 0, "verifying": 0, "abandoning": 0, "resuming": 0,
                                          "starting": 0, "stopping": 0, "suspending": 0]
}

/// List responses (shared by every collection).
enum ListResponse {
    static func make(base: String, project: String, path: String, kind: String, items all: [JSONValue], _ request: APIRequest) -> APIResponse {
        var items = all
        if let filter = request.query["filter"], !filter.isEmpty { items = items.filter { ListFilter(filter).matches($0) } }
        if let order = request.query["orderBy"], order.hasPrefix("creationTimestamp") {
            items.sort { ($0["creationTimestamp"]?.string ?? "") < ($1["creationTimestamp"]?.string ?? "") }
            if order.hasSuffix("desc") { items.reverse() }
        }
        let pageSize = min(500, Int(request.query["maxResults"] ?? "") ?? 500)
        let start = Int(request.query["pageToken"] ?? "") ?? 0
        var out: JSONValue = ["kind": .string(kind), "id": .string("projects/\(project)/\(path)"), "selfLink": .string("\(base)/\(path)")]
        out["items"] = .array(Array(items.dropFirst(start).prefix(pageSize)))
        if start + pageSize < items.count { out["nextPageToken"] = .string(String(start + pageSize)) }
        return APIResponse(json: out)
    }
}
