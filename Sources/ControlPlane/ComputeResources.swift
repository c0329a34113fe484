import Foundation

/// The Compute Engine resources that are stored documents with GCE's checks and nothing running
/// behind them (instance templates, firewalls, health checks, autoscalers, backend services, URL
/// maps, proxies), the references between them, and forwarding rules. Routing is in
/// ComputeService.swift.
extension ComputeService {
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
}
