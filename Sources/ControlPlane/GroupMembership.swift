import Foundation

/// A group's members and what serves them: managed instances, the backend services and
/// instance groups that name a group, and the `instanceGroups` API.
extension GroupService {
    func members(of group: JSONValue) throws -> [Member] {
        guard let link = group["selfLink"]?.string else { return [] }
        return try store.list(InstanceRuntime.vmCollection).compactMap { vm in
            guard vm["group"]?.string == link, let project = vm["project"]?.string, let zone = vm["zone"]?.string,
                  let name = vm["name"]?.string,
                  let instance = try store.get("projects/\(project)/zones/\(zone)/instances", name) else { return nil }
            return Member(name: name, zone: zone, instance: instance, vm: vm)
        }
    }

    func managedInstances(_ group: JSONValue, project: String) throws -> [JSONValue] {
        try members(of: group).map { member in
            var item: JSONValue = [
                "instance": member.instance["selfLink"] ?? "", "id": member.instance["id"] ?? "",
                "instanceStatus": member.instance["status"] ?? "",
                "currentAction": .string(member.vm["currentAction"]?.string ?? "NONE"),
                "version": ["instanceTemplate": member.vm["template"] ?? "", "name": member.vm["versionName"] ?? ""],
            ]
            if let health = member.vm["health"]?.string, let check = group["autoHealingPolicies"]?.array?.first?["healthCheck"] {
                item["instanceHealth"] = [["healthCheck": check, "detailedHealthState": .string(health)]]
            }
            if let error = member.vm["lastError"]?.string {
                item["lastAttempt"] = ["errors": ["errors": [["code": "VM_FAILED", "message": .string(error)]]]]
            }
            return item
        }
    }

    /// The backend services whose backends name `instanceGroup` (a full or partial URL).
    func backendServices(serving instanceGroup: String, project: String) -> [JSONValue] {
        guard !instanceGroup.isEmpty else { return [] }
        let suffix = instanceGroup.split(separator: "/").suffix(4).joined(separator: "/")
        return ((try? store.list("projects/\(project)/global/backendServices")) ?? []).filter { service in
            service["backends"]?.array?.contains { ($0["group"]?.string ?? "").hasSuffix(suffix) } ?? false
        }
    }

    /// The manager behind an instance group URL (they share name and scope).
    func managerOf(instanceGroup link: String, project: String) -> JSONValue? {
        guard let ref = ResourceReference.parse(link, project: project, scope: "global", collection: "instanceGroups"),
              ref.scope != "global" else { return nil }
        return try? store.get("projects/\(ref.project)/\(ref.scope)/instanceGroupManagers", ref.name)
    }

    /// The managers of a backend service's groups (`backends[].group`), with their members.
    func backendGroups(of service: JSONValue, project: String) -> [(manager: JSONValue, members: [Member])] {
        (service["backends"]?.array ?? []).compactMap { backend in
            guard let link = backend["group"]?.string, let manager = managerOf(instanceGroup: link, project: project) else { return nil }
            return (manager, (try? members(of: manager)) ?? [])
        }
    }

    /// The guest port of a backend service's `portName` among `manager`'s named ports.
    static func servingPort(of service: JSONValue, in manager: JSONValue) -> Int? {
        let portName = service["portName"]?.string ?? "http"
        return manager["namedPorts"]?.array?.first { $0["name"]?.string == portName }?["port"]?.number.map(Int.init)
    }

    /// A backend service that serves `instanceGroup`, which keeps its manager from being deleted.
    func backendServiceUsing(_ instanceGroup: String, project: String) throws -> String? {
        backendServices(serving: instanceGroup, project: project).first.map {
            "projects/\(project)/global/backendServices/\($0["name"]?.string ?? "")"
        }
    }

    // MARK: instanceGroups

    func handleInstanceGroups(_ request: APIRequest, project: String, scope: String, name: String?, verb: String?) throws -> APIResponse {
        let path = "projects/\(project)/\(scope)/instanceGroups"
        switch (request.method, name, verb) {
        case ("GET", nil, nil):
            return ListResponse.make(base: base(project), project: project, path: "\(scope)/instanceGroups",
                                     kind: "compute#instanceGroupList", items: try store.list(path), request)
        case ("GET", let name?, nil):
            guard var group = try store.get(path, name) else { throw APIError.notFound("\(path)/\(name)") }
            if let manager = try store.get("projects/\(project)/\(scope)/instanceGroupManagers", name) {
                group["size"] = .number(Double(try members(of: manager).count))
            }
            return APIResponse(json: group)
        case ("POST", let name?, "setNamedPorts"):
            let body = try request.json()
            try SchemaValidator.compute.validate(body, as: "InstanceGroupsSetNamedPortsRequest")
            let group = try store.mutate(path, name) { group in
                if let fingerprint = body["fingerprint"]?.string, fingerprint != group["fingerprint"]?.string {
                    throw APIError(412, "conditionNotMet", "Supplied fingerprint does not match current fingerprint.")
                }
                group["namedPorts"] = body["namedPorts"] ?? []
                group["fingerprint"] = .string(Identifiers.randomToken(bytes: 8))
            }
            _ = try? store.mutate("projects/\(project)/\(scope)/instanceGroupManagers", name) { $0["namedPorts"] = body["namedPorts"] ?? [] }
            return APIResponse(json: try done(project, scope, "compute.instanceGroups.setNamedPorts", group, request.query["requestId"]))
        case ("POST", let name?, "listInstances"):
            guard let manager = try store.get("projects/\(project)/\(scope)/instanceGroupManagers", name) else { throw APIError.notFound("\(path)/\(name)") }
            let items: [JSONValue] = try members(of: manager).map { ["instance": $0.instance["selfLink"] ?? "", "status": $0.instance["status"] ?? ""] }
            return APIResponse(json: ["kind": "compute#instanceGroupsListInstances", "items": .array(items)])
        default:
            throw APIError(404, "notFound", "No Compute API at \(request.path)")
        }
    }
}
