/// What GCE checks on insert, per collection, and the defaults it fills in.
enum ResourceValidation {
    /// Every resource: a `name` that is a string and an RFC 1035 label; known fields of the right type.
    static func common(_ body: JSONValue) throws {
        guard let nameValue = body["name"] else { throw APIError.required("resource.name") }
        guard let name = nameValue.string else {
            throw APIError.invalid("Invalid value for field 'resource.name': must be a string.")
        }
        try Identifiers.validateName(name, field: "resource.name")
        if let description = body["description"], description.string == nil {
            throw APIError.invalid("Invalid value for field 'resource.description': must be a string.")
        }
        if let labels = body["labels"] {
            guard let object = labels.object, object.values.allSatisfy({ $0.string != nil }) else {
                throw APIError.invalid("Invalid value for field 'resource.labels': must be a map of strings.")
            }
        }
    }

    static func validate(_ collection: String, _ body: inout JSONValue, project: String, base: String) throws {
        switch collection {
        case "firewalls": try firewall(&body, base: base)
        case "healthChecks": try healthCheck(&body)
        case "instanceTemplates": try instanceTemplate(&body, base: base)
        default: break
        }
    }

    static func firewall(_ body: inout JSONValue, base: String) throws {
        if body["allowed"] == nil && body["denied"] == nil {
            throw APIError.required("resource.allowed")
        }
        for key in ["allowed", "denied"] where body[key] != nil {
            guard let rules = body[key]?.array, rules.allSatisfy({ $0["IPProtocol"]?.string != nil }) else {
                throw APIError.invalid("Invalid value for field 'resource.\(key)': each rule needs IPProtocol.")
            }
        }
        body["network"] = .string(try networkLink(body["network"]?.string, base: base))
        if body["direction"] == nil { body["direction"] = "INGRESS" }
        if body["priority"] == nil { body["priority"] = 1000 }
        if body["sourceRanges"] == nil, body["direction"]?.string == "INGRESS", body["sourceTags"] == nil {
            body["sourceRanges"] = ["0.0.0.0/0"]
        }
        if body["disabled"] == nil { body["disabled"] = false }
    }

    /// The full URL of a network reference (`default`, `global/networks/default`, a URL), as GCE
    /// answers; only `default` exists here.
    static func networkLink(_ reference: String?, base: String, field: String = "resource.network") throws -> String {
        let text = reference ?? "default"
        let name = String(text.split(separator: "/").last ?? "")
        guard name == "default" else {
            throw APIError(404, "notFound", "The resource '\(text)' was not found (\(field)); only the network 'default' exists on this plane.")
        }
        return "\(base)/global/networks/default"
    }

    static let healthCheckTypes = ["HTTP": "httpHealthCheck", "HTTPS": "httpsHealthCheck", "HTTP2": "http2HealthCheck",
                                   "TCP": "tcpHealthCheck", "SSL": "sslHealthCheck", "GRPC": "grpcHealthCheck"]

    static func healthCheck(_ body: inout JSONValue) throws {
        guard let type = body["type"]?.string else { throw APIError.required("resource.type") }
        guard let field = healthCheckTypes[type] else {
            throw APIError.invalid("Invalid value for field 'resource.type': '\(type)'. Must be one of HTTP, HTTPS, HTTP2, TCP, SSL, GRPC.")
        }
        for (key, fallback) in [("checkIntervalSec", 5.0), ("timeoutSec", 5.0), ("healthyThreshold", 2.0), ("unhealthyThreshold", 2.0)] {
            if let value = body[key] {
                guard let n = value.number, n == n.rounded(), n >= 1 else {
                    throw APIError.invalid("Invalid value for field 'resource.\(key)': must be a positive integer.")
                }
            } else {
                body[key] = .number(fallback)
            }
        }
        if let interval = body["checkIntervalSec"]?.number, let timeout = body["timeoutSec"]?.number, timeout > interval {
            throw APIError.invalid("Invalid value for field 'resource.timeoutSec': must not be greater than checkIntervalSec.")
        }
        var spec = body[field] ?? [:]
        if spec["port"] == nil, spec["portName"] == nil { spec["port"] = type == "HTTPS" ? 443 : 80 }
        if ["HTTP", "HTTPS", "HTTP2"].contains(type), spec["requestPath"] == nil { spec["requestPath"] = "/" }
        if spec["proxyHeader"] == nil { spec["proxyHeader"] = "NONE" }
        body[field] = spec
    }

    static func instanceTemplate(_ body: inout JSONValue, base: String) throws {
        guard let properties = body["properties"], properties.object != nil else { throw APIError.required("resource.properties") }
        guard let machineType = properties["machineType"]?.string else { throw APIError.required("resource.properties.machineType") }
        let short = String(machineType.split(separator: "/").last ?? "")
        guard Catalog.machineType(named: short) != nil else {
            throw APIError.invalid("Invalid value for field 'resource.properties.machineType': '\(machineType)'. Machine type with name '\(short)' does not exist.")
        }
        guard let disks = properties["disks"]?.array, !disks.isEmpty else { throw APIError.required("resource.properties.disks") }
        guard disks.contains(where: { $0["boot"]?.bool == true || disks.count == 1 }),
              disks.first?["initializeParams"]?["sourceImage"]?.string != nil else {
            throw APIError.required("resource.properties.disks[0].initializeParams.sourceImage")
        }
        var properties2 = properties
        if var nics = properties["networkInterfaces"]?.array {
            for i in nics.indices {
                nics[i]["network"] = .string(try networkLink(nics[i]["network"]?.string, base: base,
                                                             field: "resource.properties.networkInterfaces[\(i)].network"))
            }
            properties2["networkInterfaces"] = .array(nics)
        }
        body["properties"] = properties2
    }
}
