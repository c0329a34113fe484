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

    /// Checks and fills `body` of `collection`; `networks` resolves network references and
    /// `imageSizeGb` the size of a template's source image (nil when it cannot be resolved).
    static func validate(_ collection: String, _ body: inout JSONValue, project: String, networks: NetworkService,
                         imageSizeGb: (String) -> Int64?) throws {
        switch collection {
        case "firewalls": try firewall(&body, project: project, networks: networks)
        case "healthChecks": try healthCheck(&body)
        case "instanceTemplates": try instanceTemplate(&body, project: project, networks: networks, imageSizeGb: imageSizeGb)
        default: break
        }
    }

    static func firewall(_ body: inout JSONValue, project: String, networks: NetworkService) throws {
        if body["allowed"] == nil && body["denied"] == nil {
            throw APIError.required("resource.allowed")
        }
        for key in ["allowed", "denied"] where body[key] != nil {
            guard let rules = body[key]?.array, rules.allSatisfy({ $0["IPProtocol"]?.string != nil }) else {
                throw APIError.invalid("Invalid value for field 'resource.\(key)': each rule needs IPProtocol.")
            }
        }
        body["network"] = .string(try networks.networkLink(body["network"]?.string, project: project, field: "resource.network"))
        if body["direction"] == nil { body["direction"] = "INGRESS" }
        if body["priority"] == nil { body["priority"] = 1000 }
        // "This is an integer between `0` and `65535`, both inclusive." (discovery document, Firewall.priority)
        if let priority = body["priority"]?.number, !(0...65535).contains(priority) {
            throw APIError.invalid("Invalid value for field 'resource.priority': '\(quoted(priority))'. Must be an integer between 0 and 65535.")
        }
        // "These ranges must be expressed in CIDR format." (Firewall.sourceRanges)
        for (i, range) in (body["sourceRanges"]?.array ?? []).enumerated() where !isCIDR(range.string ?? "") {
            throw APIError.invalid("Invalid value for field 'resource.sourceRanges[\(i)]': '\(range.string ?? "")'. Must be an IP address range in CIDR format, like 130.211.0.0/22.")
        }
        if body["sourceRanges"] == nil, body["direction"]?.string == "INGRESS", body["sourceTags"] == nil {
            body["sourceRanges"] = ["0.0.0.0/0"]
        }
        if body["disabled"] == nil { body["disabled"] = false }
    }

    /// A number as GCE quotes it in messages: an integer without a fraction (no trap for values
    /// beyond Int64).
    static func quoted(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 9e15 ? String(Int64(number)) : String(number)
    }

    /// An IPv4 address with an optional /0-32 prefix, or an IPv6 address with an optional /0-128
    /// prefix (checked loosely: hexadecimal groups and colons).
    static func isCIDR(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        let address = parts[0]
        if address.contains(":") {
            guard address.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
            return parts.count == 1 || Int(parts[1]).map { (0...128).contains($0) } ?? false
        }
        let octets = address.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && UInt8($0) != nil }) else { return false }
        return parts.count == 1 || Int(parts[1]).map { (0...32).contains($0) } ?? false
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
        // "Valid values are 1 through 65535." (discovery document, HTTPHealthCheck.port and the others)
        if let port = spec["port"]?.number, !(1...65535).contains(port) {
            throw APIError.invalid("Invalid value for field 'resource.\(field).port': '\(quoted(port))'. Valid values are 1 through 65535.")
        }
        // "Must comply with RFC3986": an absolute path.
        if let path = spec["requestPath"]?.string, !path.hasPrefix("/") || path.contains(" ") {
            throw APIError.invalid("Invalid value for field 'resource.\(field).requestPath': '\(path)'. Must be an absolute path that complies with RFC 3986, like /health.")
        }
        if ["HTTP", "HTTPS", "HTTP2"].contains(type), spec["requestPath"] == nil { spec["requestPath"] = "/" }
        if spec["proxyHeader"] == nil { spec["proxyHeader"] = "NONE" }
        body[field] = spec
    }

    static func instanceTemplate(_ body: inout JSONValue, project: String, networks: NetworkService, imageSizeGb: (String) -> Int64?) throws {
        guard let properties = body["properties"], properties.object != nil else { throw APIError.required("resource.properties") }
        guard let machineType = properties["machineType"]?.string else { throw APIError.required("resource.properties.machineType") }
        let short = String(machineType.split(separator: "/").last ?? "")
        guard let type = Catalog.machineType(named: short) else {
            throw APIError.invalid("Invalid value for field 'resource.properties.machineType': '\(machineType)'. Machine type with name '\(short)' does not exist.")
        }
        guard let disks = properties["disks"]?.array, !disks.isEmpty else { throw APIError.required("resource.properties.disks") }
        guard disks.contains(where: { $0["boot"]?.bool == true || disks.count == 1 }),
              let sourceImage = disks.first?["initializeParams"]?["sourceImage"]?.string else {
            throw APIError.required("resource.properties.disks[0].initializeParams.sourceImage")
        }
        try DiskRules.checkBootDisk(disks[0]["initializeParams"], field: "resource.properties.disks[0].initializeParams", machineType: type,
                                    imageSizeGb: imageSizeGb(sourceImage), zone: nil)
        try MetadataRules.check(properties["metadata"], field: "resource.properties.metadata")
        var properties2 = properties
        if var nics = properties["networkInterfaces"]?.array {
            for i in nics.indices {
                nics[i] = try networks.resolveInterface(nics[i], field: "resource.properties.networkInterfaces[\(i)]", project: project, region: nil)
            }
            properties2["networkInterfaces"] = .array(nics)
        }
        body["properties"] = properties2
    }
}
