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
            return APIResponse(status: 204, body: Data(), headers: [:])
        default:
            throw APIError(404, "notFound", "No Compute API at \(request.path)")
        }
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
        case ("POST", let name?, let verb?) where InstanceAction(rawValue: verb) != nil:
            return APIResponse(json: try await instances.act(InstanceAction(rawValue: verb)!, project: project, zone: zone, name: name,
                                                             requestId: requestId))
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
