import Foundation
import Logging

/// Compute Engine v1: routes `/compute/v1/projects/{project}/...` to catalogs, operations,
/// images, instance templates, firewalls, health checks and instances.
final class ComputeService: Sendable {
    let store: Store
    let configuration: PlaneConfiguration
    let storage: StorageService
    let catalog: Catalog
    let operations: Operations
    let images: ImageImporter
    let networks: NetworkService
    let instances: InstanceRuntime
    let groups: GroupService
    let reconciler: GroupReconciler
    let loadBalancer: LoadBalancerRuntime
    /// Every background task of the compute API; shutdown cancels and awaits them first.
    let tasks = TaskOwner()
    let logger: Logger

    init(store: Store, configuration: PlaneConfiguration, storage: StorageService, logger: Logger) throws {
        self.store = store
        self.configuration = configuration
        self.storage = storage
        self.logger = logger
        catalog = Catalog(configuration: configuration)
        operations = Operations(store: store, baseURL: configuration.baseURL)
        images = ImageImporter(store: store, storage: storage, operations: operations, configuration: configuration, logger: logger)
        networks = NetworkService(store: store, operations: operations, configuration: configuration)
        instances = InstanceRuntime(store: store, operations: operations, images: images, networks: networks, configuration: configuration,
                                    tasks: tasks, logger: logger)
        groups = GroupService(store: store, operations: operations, instances: instances, configuration: configuration, tasks: tasks, logger: logger)
        let autoscalers = AutoscalerRuntime(store: store, groups: groups, stabilizationSec: configuration.autoscalerStabilizationSec, logger: logger)
        loadBalancer = LoadBalancerRuntime(store: store, groups: groups, logger: logger)
        reconciler = GroupReconciler(store: store, groups: groups, instances: instances, autoscalers: autoscalers,
                                     loadBalancer: loadBalancer, tasks: tasks, logger: logger)
    }

    func recover() async {
        images.resumePending()
        await instances.recover()
        await loadBalancer.restore()
        let reconciler = self.reconciler
        tasks.spawn { await reconciler.run() }
    }

    /// Stops in the reverse order of start: background tasks (none may launch a VM afterwards),
    /// then the load balancers, then the VMs.
    func shutdownAll(grace: Double) async {
        await tasks.shutdown()
        await loadBalancer.stopAll()
        await instances.shutdownAll(grace: grace)
    }

    func base(_ project: String) -> String { catalog.base(project) }

    // MARK: Routing

    func handle(_ request: APIRequest, project: String, rest: [String]) async throws -> APIResponse {
        let m = request.method
        switch rest.count {
        case 0 where m == "GET":
            return APIResponse(json: ["kind": "compute#project", "id": .string(Catalog.stableID("project/" + project)),
                                      "name": .string(project), "selfLink": .string(base(project)),
                                      "creationTimestamp": .string(Catalog.created)])
        case 1 where rest[0] == "zones" && m == "GET":
            return list(project, "zones", kind: "compute#zoneList", items: configuration.zones.map { catalog.zone(project, $0) }, request)
        case 2 where rest[0] == "zones" && m == "GET":
            guard configuration.zones.contains(rest[1]) else { throw APIError.notFound("projects/\(project)/zones/\(rest[1])") }
            return APIResponse(json: catalog.zone(project, rest[1]))
        case 1 where rest[0] == "regions" && m == "GET":
            return list(project, "regions", kind: "compute#regionList", items: configuration.regions.map { catalog.region(project, $0) }, request)
        case 2 where rest[0] == "aggregated" && rest[1] == "instanceGroupManagers" && m == "GET":
            return try aggregatedGroups(request, project: project)
        case 2 where rest[0] == "regions" && m == "GET":
            guard configuration.regions.contains(rest[1]) else { throw APIError.notFound("projects/\(project)/regions/\(rest[1])") }
            return APIResponse(json: catalog.region(project, rest[1]))
        default:
            break
        }
        // Scope: global, zones/Z, regions/R.
        var scope = "global"
        var tail = rest
        if rest.first == "global" {
            tail = Array(rest.dropFirst())
        } else if rest.count >= 2, rest[0] == "zones" || rest[0] == "regions" {
            let known = rest[0] == "zones" ? configuration.zones : configuration.regions
            guard known.contains(rest[1]) else { throw APIError.notFound("projects/\(project)/\(rest[0])/\(rest[1])") }
            scope = "\(rest[0])/\(rest[1])"
            tail = Array(rest.dropFirst(2))
        } else {
            throw APIError(404, "notFound", "No Compute API at \(request.path)")
        }
        guard let collection = tail.first else { throw APIError(404, "notFound", "No Compute API at \(request.path)") }
        let name = tail.count > 1 ? tail[1] : nil
        let verb = tail.count > 2 ? tail[2] : nil
        switch (collection, scope.split(separator: "/").first ?? "global") {
        case ("operations", _): return try await operationRequest(request, project: project, scope: scope, name: name, verb: verb)
        case ("machineTypes", "zones"):
            let zone = String(scope.dropFirst("zones/".count))
            if let name {
                guard let type = Catalog.machineType(named: name) else { throw APIError.notFound("projects/\(project)/\(scope)/machineTypes/\(name)") }
                return APIResponse(json: catalog.machineType(project, zone: zone, type))
            }
            return list(project, "\(scope)/machineTypes", kind: "compute#machineTypeList",
                        items: Catalog.machineTypes.map { catalog.machineType(project, zone: zone, $0) }, request)
        case ("networks", "global"):
            return try networks.handleNetworks(request, project: project, name: name)
        case ("subnetworks", "regions"):
            return try networks.handleSubnetworks(request, project: project, region: String(scope.dropFirst("regions/".count)), name: name)
        case ("images", "global"): return try await imageRequest(request, project: project, name: name, rest: Array(tail.dropFirst(1)))
        case ("instanceTemplates", "global"), ("firewalls", "global"), ("healthChecks", "global"), ("healthChecks", "regions"),
             ("autoscalers", "zones"), ("autoscalers", "regions"), ("backendServices", "global"), ("urlMaps", "global"),
             ("targetHttpProxies", "global"):
            if collection == "backendServices", request.method == "POST", let name, verb == "getHealth" {
                guard let service = try store.get("projects/\(project)/global/backendServices", name) else {
                    throw APIError.notFound("projects/\(project)/global/backendServices/\(name)")
                }
                guard let group = try request.json()["group"]?.string else { throw APIError.required("group") }
                return APIResponse(json: loadBalancer.health(of: service, group: group, project: project))
            }
            // GCE's autoscalers.patch and .update name the autoscaler in the query, not the path.
            let named = collection == "autoscalers" && name == nil && ["PATCH", "PUT"].contains(request.method)
                ? request.query["autoscaler"] : name
            if collection == "autoscalers", name == nil, ["PATCH", "PUT"].contains(request.method), named == nil {
                throw APIError.required("autoscaler")
            }
            return try simpleResource(request, project: project, scope: scope, collection: collection, name: named, verb: verb)
        case ("forwardingRules", "global"):
            return try await forwardingRule(request, project: project, name: name, verb: verb)
        case ("instanceGroupManagers", _):
            return try await groups.handle(request, project: project, scope: scope, name: name, verb: verb)
        case ("instanceGroups", _):
            return try groups.handleInstanceGroups(request, project: project, scope: scope, name: name, verb: verb)
        case ("instances", "zones"):
            return try await instanceRequest(request, project: project, scope: scope, name: name, verb: verb)
        default:
            throw APIError(404, "notFound", "No Compute API at \(request.path)")
        }
    }

    // MARK: Lists

    /// A list response with filter, orderBy and paging (pageToken = offset).
    func list(_ project: String, _ path: String, kind: String, items: [JSONValue], _ request: APIRequest) -> APIResponse {
        ListResponse.make(base: base(project), project: project, path: path, kind: kind, items: items, request)
    }

    // MARK: Operations

    func operationRequest(_ request: APIRequest, project: String, scope: String, name: String?, verb: String?) async throws -> APIResponse {
        let collection = Operations.collection(project: project, scope: scope)
        switch (request.method, name, verb) {
        case ("GET", nil, nil):
            return list(project, "\(scope)/operations", kind: "compute#operationList", items: try store.list(collection), request)
        case ("GET", let name?, nil):
            guard let op = try store.get(collection, name) else { throw APIError.notFound("projects/\(project)/\(scope)/operations/\(name)") }
            return APIResponse(json: op)
        case ("POST", let name?, "wait"):
            return APIResponse(json: try await operations.wait(collection, name, seconds: 30))
        case ("DELETE", let name?, nil):
            try store.delete(collection, name)
            return APIResponse(status: 204, body: Data(), headers: [])
        default:
            throw APIError(404, "notFound", "No Compute API at \(request.path)")
        }
    }

    // MARK: Templates, firewalls, health checks

    /// The discovery schema of each collection's resource.
    static let schemas = ["instanceTemplates": "InstanceTemplate", "firewalls": "Firewall", "healthChecks": "HealthCheck",
                          "images": "Image", "instances": "Instance", "instanceGroupManagers": "InstanceGroupManager",
                          "autoscalers": "Autoscaler", "backendServices": "BackendService", "urlMaps": "UrlMap",
                          "targetHttpProxies": "TargetHttpProxy", "forwardingRules": "ForwardingRule"]

    static let kinds = ["instanceTemplates": "compute#instanceTemplate", "firewalls": "compute#firewall",
                        "healthChecks": "compute#healthCheck", "images": "compute#image", "instances": "compute#instance",
                        "autoscalers": "compute#autoscaler", "backendServices": "compute#backendService",
                        "urlMaps": "compute#urlMap", "targetHttpProxies": "compute#targetHttpProxy", "forwardingRules": "compute#forwardingRule"]

    func simpleResource(_ request: APIRequest, project: String, scope: String, collection: String, name: String?, verb: String?) throws -> APIResponse {
        let path = "projects/\(project)/\(scope)/\(collection)"
        let kind = Self.kinds[collection] ?? "compute#resource"
        switch (request.method, name, verb) {
        case ("GET", nil, nil):
            return list(project, "\(scope)/\(collection)", kind: kind + "List", items: try store.list(path), request)
        case ("GET", let name?, nil):
            guard let item = try store.get(path, name) else { throw APIError.notFound("\(path)/\(name)") }
            return APIResponse(json: item)
        case ("POST", nil, nil):
            if let op = try operations.existing(requestId: request.query["requestId"], project: project) { return APIResponse(json: op) }
            var body = try request.json()
            try SchemaValidator.compute.validate(body, as: Self.schemas[collection] ?? "")
            try ResourceValidation.common(body)
            let name = body["name"]!.string!
            try ResourceValidation.validate(collection, &body, project: project, networks: networks,
                                               imageSizeGb: { [instances] in (try? instances.resolveImage($0, project: project))?["diskSizeGb"]?.int64 })
            body["kind"] = .string(kind)
            body["id"] = .string(Identifiers.newID())
            body["creationTimestamp"] = .string(Identifiers.timestamp())
            body["selfLink"] = .string("\(base(project))/\(scope)/\(collection)/\(name)")
            if scope.hasPrefix("regions/") { body["region"] = .string("\(base(project))/\(scope)") }
            if scope.hasPrefix("zones/") { body["zone"] = .string("\(base(project))/\(scope)") }
            if collection == "autoscalers" { try checkAutoscalerTarget(&body, project: project, scope: scope) }
            try checkReferences(collection, &body, project: project)
            try store.insert(path, name, body)
            let op = try operations.begin(project: project, scope: scope, type: "insert", targetLink: body["selfLink"]!.string!,
                                          targetId: body["id"]?.string, requestId: request.query["requestId"], done: true)
            return APIResponse(json: op.body)
        case ("PATCH", let name?, nil), ("PUT", let name?, nil):
            if let op = try operations.existing(requestId: request.query["requestId"], project: project) { return APIResponse(json: op) }
            guard collection != "instanceTemplates" else { throw APIError(400, "invalid", "Instance templates are immutable; create a new one.") }
            let patch = try request.json()
            try SchemaValidator.compute.validate(patch, as: Self.schemas[collection] ?? "")
            // Check outside the transaction (references are read from the store), then write only
            // if nobody changed the resource meanwhile.
            guard let current = try store.get(path, name) else { throw APIError.notFound("\(path)/\(name)") }
            try OptimisticLocking.check(collection, request: patch, current: current)
            var merged = request.method == "PUT" ? patch : current.mergePatched(with: patch)
            for key in ["kind", "id", "creationTimestamp", "selfLink", "name"] { merged[key] = current[key] }
            try ResourceValidation.validate(collection, &merged, project: project, networks: networks,
                                               imageSizeGb: { [instances] in (try? instances.resolveImage($0, project: project))?["diskSizeGb"]?.int64 })
            try checkReferences(collection, &merged, project: project)
            let updated = try store.mutate(path, name) { body in
                guard body == current else {
                    throw APIError(412, "conditionNotMet", "The resource changed while this request was processed; read it again and retry.")
                }
                body = merged
            }
            let op = try operations.begin(project: project, scope: scope, type: request.method == "PUT" ? "update" : "patch",
                                          targetLink: updated["selfLink"]?.string ?? "", targetId: updated["id"]?.string,
                                          requestId: request.query["requestId"], done: true)
            return APIResponse(json: op.body)
        case ("DELETE", let name?, nil):
            if let op = try operations.existing(requestId: request.query["requestId"], project: project) { return APIResponse(json: op) }
            guard let item = try store.get(path, name) else { throw APIError.notFound("\(path)/\(name)") }
            if let user = try user(of: "\(base(project))/\(scope)/\(collection)/\(name)", project: project) {
                throw APIError.inUse("\(path)/\(name)", by: user)
            }
            try store.delete(path, name)
            let op = try operations.begin(project: project, scope: scope, type: "delete", targetLink: item["selfLink"]?.string ?? "",
                                          targetId: item["id"]?.string, requestId: request.query["requestId"], done: true)
            return APIResponse(json: op.body)
        default:
            throw APIError(404, "notFound", "No Compute API at \(request.path)")
        }
    }

    /// An autoscaler's target must be a group in the same scope, with no other autoscaler.
    func checkAutoscalerTarget(_ body: inout JSONValue, project: String, scope: String) throws {
        guard let target = body["target"]?.string else { throw APIError.required("resource.target") }
        guard let ref = ResourceReference.parse(target, project: project, scope: scope, collection: "instanceGroupManagers"),
              try store.get(ref.collectionPath, ref.name) != nil else {
            throw APIError(404, "notFound", "The resource '\(target)' of type 'instance group manager' was not found (resource.target).")
        }
        let link = "\(base(ref.project))/\(ref.scope)/instanceGroupManagers/\(ref.name)"
        if try store.list("projects/\(project)/\(scope)/autoscalers").contains(where: { $0["target"]?.string == link }) {
            throw APIError(409, "alreadyExists", "The instance group manager '\(link)' already has an autoscaler.")
        }
        body["target"] = .string(link)
        body["status"] = "ACTIVE"
        var policy = body["autoscalingPolicy"] ?? [:]
        guard let max = policy["maxNumReplicas"]?.number, max >= 0 else { throw APIError.required("resource.autoscalingPolicy.maxNumReplicas") }
        if policy["minNumReplicas"] == nil { policy["minNumReplicas"] = 1 }
        guard (policy["minNumReplicas"]?.number ?? 1) <= max else {
            throw APIError.invalid("Invalid value for field 'resource.autoscalingPolicy.minNumReplicas': must not exceed maxNumReplicas.")
        }
        if policy["coolDownPeriodSec"] == nil { policy["coolDownPeriodSec"] = 60 }
        if policy["mode"] == nil { policy["mode"] = "ON" }
        if policy["cpuUtilization"] == nil { policy["cpuUtilization"] = ["utilizationTarget": .number(0.6)] }
        if let t = policy["cpuUtilization"]?["utilizationTarget"]?.number, !(t > 0 && t <= 1) {
            throw APIError.invalid("Invalid value for field 'resource.autoscalingPolicy.cpuUtilization.utilizationTarget': must be in (0, 1].")
        }
        body["autoscalingPolicy"] = policy
        body["recommendedSize"] = .number(body["recommendedSize"]?.number ?? 0)
    }

    /// A resource that refers to `link` and so keeps it from being deleted: a group naming a
    /// template or health check, a backend service naming a health check, a URL map naming a
    /// backend service, a proxy naming a URL map, a forwarding rule naming a proxy.
    func user(of link: String, project: String) throws -> String? {
        let tail = "/" + link.split(separator: "/").suffix(3).joined(separator: "/")
        for (collection, body) in try store.listAll(like: "projects/\(project)/%") {
            guard !collection.hasSuffix("/operations"), !collection.hasSuffix("/instances"), body["selfLink"]?.string != link else { continue }
            let text = String(decoding: body.data, as: UTF8.self)
            if text.contains("\"\(link)\"") || text.contains("\(tail)\"") {
                return "\(collection)/\(body["name"]?.string ?? "")"
            }
        }
        return nil
    }

    /// The load balancer chain's references must exist; they are stored as full URLs.
    func checkReferences(_ collection: String, _ body: inout JSONValue, project: String) throws {
        func resolve(_ value: JSONValue?, _ target: String, _ field: String, scope: String = "global") throws -> JSONValue {
            guard let text = value?.string else { throw APIError.required("resource.\(field)") }
            guard let ref = ResourceReference.parse(text, project: project, scope: scope, collection: target),
                  try store.get(ref.collectionPath, ref.name) != nil else {
                throw APIError(404, "notFound", "The resource '\(text)' was not found (resource.\(field)).")
            }
            return .string("\(base(ref.project))/\(ref.scope)/\(target)/\(ref.name)")
        }
        switch collection {
        case "backendServices":
            try BackendServiceRules.check(body)
            var backends = body["backends"]?.array ?? []
            for i in backends.indices {
                guard let group = backends[i]["group"]?.string else { throw APIError.required("resource.backends[\(i)].group") }
                try BackendServiceRules.checkGroupURL(group, field: "resource.backends[\(i)].group", planeBaseURL: configuration.baseURL)
                guard let ref = ResourceReference.parse(group, project: project, scope: "global", collection: "instanceGroups"),
                      try store.get(ref.collectionPath, ref.name) != nil else {
                    throw APIError(404, "notFound", "The resource '\(group)' of type 'instance group' was not found (resource.backends[\(i)].group).")
                }
                backends[i]["group"] = .string("\(base(ref.project))/\(ref.scope)/instanceGroups/\(ref.name)")
                if backends[i]["balancingMode"] == nil { backends[i]["balancingMode"] = "UTILIZATION" }
                if backends[i]["capacityScaler"] == nil { backends[i]["capacityScaler"] = 1 }
            }
            body["backends"] = .array(backends)
            if let checks = body["healthChecks"]?.array {
                body["healthChecks"] = .array(try checks.enumerated().map { i, c in try resolve(c, "healthChecks", "healthChecks[\(i)]") })
            }
            if body["protocol"] == nil { body["protocol"] = "HTTP" }
            if body["portName"] == nil { body["portName"] = "http" }
            if body["timeoutSec"] == nil { body["timeoutSec"] = 30 }
            if body["connectionDraining"] == nil { body["connectionDraining"] = ["drainingTimeoutSec": 0] }
            if body["loadBalancingScheme"] == nil { body["loadBalancingScheme"] = "EXTERNAL" }
            body["fingerprint"] = .string(Identifiers.randomToken(bytes: 8))
        case "urlMaps":
            try URLMapRules.normalise(&body) { value, field in try resolve(value, "backendServices", field) }
            body["fingerprint"] = .string(Identifiers.randomToken(bytes: 8))
        case "targetHttpProxies":
            body["urlMap"] = try resolve(body["urlMap"], "urlMaps", "urlMap")
            body["fingerprint"] = .string(Identifiers.randomToken(bytes: 8))
        case "forwardingRules":
            body["target"] = try resolve(body["target"], "targetHttpProxies", "target")
            if body["IPAddress"] == nil { body["IPAddress"] = "127.0.0.1" }
            if body["IPProtocol"] == nil { body["IPProtocol"] = "TCP" }
            if body["loadBalancingScheme"] == nil { body["loadBalancingScheme"] = "EXTERNAL" }
            try ForwardingRuleRules.normalisePortRange(&body)
            body["fingerprint"] = .string(Identifiers.randomToken(bytes: 8))
        default:
            break
        }
    }

    /// Global forwarding rules: stored like other resources, and each opens (or closes) a real listener.
    func forwardingRule(_ request: APIRequest, project: String, name: String?, verb: String?) async throws -> APIResponse {
        let path = "projects/\(project)/global/forwardingRules"
        if request.method == "POST", name == nil {
            let response = try simpleResource(request, project: project, scope: "global", collection: "forwardingRules", name: nil, verb: nil)
            guard let op = response.json, let target = op["targetLink"]?.string,
                  let ruleName = target.split(separator: "/").last.map(String.init),
                  let rule = try store.get(path, ruleName), op["operationType"]?.string == "insert" else { return response }
            do {
                try await loadBalancer.open(rule)
            } catch {
                try? store.delete(path, ruleName)
                throw error
            }
            return response
        }
        if request.method == "DELETE", let name {
            let link = "\(base(project))/global/forwardingRules/\(name)"
            let response = try simpleResource(request, project: project, scope: "global", collection: "forwardingRules", name: name, verb: verb)
            await loadBalancer.close(link)
            return response
        }
        if request.method == "PATCH" { throw APIError.invalid("Forwarding rules cannot be changed here; delete and create it again.") }
        return try simpleResource(request, project: project, scope: "global", collection: "forwardingRules", name: name, verb: verb)
    }

    // MARK: Images

    func imageRequest(_ request: APIRequest, project: String, name: String?, rest: [String]) async throws -> APIResponse {
        let path = "projects/\(project)/global/images"
        switch (request.method, rest.count) {
        case ("GET", 0):
            return list(project, "global/images", kind: "compute#imageList", items: try store.list(path), request)
        case ("GET", 1):
            guard let image = try store.get(path, rest[0]) else { throw APIError.notFound("\(path)/\(rest[0])") }
            return APIResponse(json: image)
        case ("GET", 2) where rest[0] == "family":
            return APIResponse(json: try images.fromFamily(project: project, family: rest[1]))
        case ("POST", 0):
            if let op = try operations.existing(requestId: request.query["requestId"], project: project) { return APIResponse(json: op) }
            let body = try request.json()
            try SchemaValidator.compute.validate(body, as: "Image")
            return APIResponse(json: try images.insert(body, project: project, requestId: request.query["requestId"]))
        case ("POST", 2) where rest[1] == "deprecate":
            if let op = try operations.existing(requestId: request.query["requestId"], project: project) { return APIResponse(json: op) }
            let status = try request.json()
            try SchemaValidator.compute.validate(status, as: "DeprecationStatus")
            return APIResponse(json: try images.deprecate(project: project, name: rest[0], status: status, requestId: request.query["requestId"]))
        case ("POST", 2) where rest[1] == "setLabels":
            return APIResponse(json: try images.setLabels(project: project, name: rest[0], body: try request.json(), requestId: request.query["requestId"]))
        case ("DELETE", 1):
            if let op = try operations.existing(requestId: request.query["requestId"], project: project) { return APIResponse(json: op) }
            return APIResponse(json: try images.delete(project: project, name: rest[0], requestId: request.query["requestId"]))
        default:
            throw APIError(404, "notFound", "No Compute API at \(request.path)")
        }
    }

    // MARK: Instances

    func instanceRequest(_ request: APIRequest, project: String, scope: String, name: String?, verb: String?) async throws -> APIResponse {
        let zone = String(scope.dropFirst("zones/".count))
        let path = "projects/\(project)/\(scope)/instances"
        let requestId = request.query["requestId"]
        if request.method != "GET", let op = try operations.existing(requestId: requestId, project: project) { return APIResponse(json: op) }
        switch (request.method, name, verb) {
        case ("GET", nil, nil):
            return list(project, "\(scope)/instances", kind: "compute#instanceList", items: try store.list(path), request)
        case ("GET", let name?, nil):
            guard let item = try store.get(path, name) else { throw APIError.notFound("\(path)/\(name)") }
            return APIResponse(json: item)
        case ("GET", let name?, "serialPort"):
            return APIResponse(json: try instances.serialPortOutput(project: project, zone: zone, name: name,
                                                                   start: request.query["start"].flatMap { Int64($0) } ?? 0))
        case ("POST", nil, nil):
            var body = try request.json()
            try SchemaValidator.compute.validate(body, as: "Instance")
            if let template = request.query["sourceInstanceTemplate"] {
                body = try instanceFromTemplate(template, overrides: body, project: project, zone: zone)
            }
            return APIResponse(json: try await instances.insert(body, project: project, zone: zone, requestId: requestId))
        case ("POST", let name?, let action?) where ["stop", "start", "reset"].contains(action):
            return APIResponse(json: try await instances.act(action, project: project, zone: zone, name: name, requestId: requestId))
        case ("DELETE", let name?, nil):
            return APIResponse(json: try await instances.delete(project: project, zone: zone, name: name, requestId: requestId))
        default:
            throw APIError(404, "notFound", "No Compute API at \(request.path)")
        }
    }

    /// The template's properties with the request's fields on top (as `sourceInstanceTemplate` does).
    func instanceFromTemplate(_ reference: String, overrides: JSONValue, project: String, zone: String) throws -> JSONValue {
        guard let ref = ResourceReference.parse(reference, project: project, scope: "global", collection: "instanceTemplates"),
              let template = try store.get(ref.collectionPath, ref.name) else {
            throw APIError.notFound("projects/\(project)/global/instanceTemplates/\(reference.split(separator: "/").last ?? "")")
        }
        var body = DiskRules.instanceBody(fromTemplateProperties: template["properties"] ?? [:], zone: zone)
        for (key, value) in overrides.object ?? [:] { body[key] = value }
        return body
    }
}

extension JSONValue {
    /// RFC 7386 JSON merge patch: objects merge recursively, `null` removes, anything else replaces.
    func mergePatched(with patch: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        var result = self.object ?? [:]
        for (key, value) in changes {
            if case .null = value { result[key] = nil }
            else if case .object = value, let existing = result[key], case .object = existing { result[key] = existing.mergePatched(with: value) }
            else { result[key] = value }
        }
        return .object(result)
    }
}
