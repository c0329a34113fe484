import Foundation

/// VPC networks (global) and subnetworks (regional): the resources, and how an instance's or a
/// template's network interface is resolved against them as GCE does. Guests keep QEMU's user
/// networking whatever the network says; these resources exist so that the plane refuses what
/// GCE refuses:
///
/// - a network interface naming a custom-mode network (`autoCreateSubnetworks: false`) and no
///   `subnetwork` (GCE: "Subnetwork should be specified for custom subnetmode network");
/// - a `subnetwork` that does not exist, belongs to another network than the interface names, or
///   (for an instance, or a group's template) lies in another region than the instance's;
/// - a `subnetwork` on a legacy network (created without `autoCreateSubnetworks`).
///
/// `default` always exists in every project, in auto mode, with one subnetwork named `default`
/// in each region the plane serves; it cannot be deleted here. A network created in auto mode
/// gets the same: a subnetwork named after it in each region (10.128.0.0/20, 10.132.0.0/20, ...).
final class NetworkService: Sendable {
    let store: Store
    let operations: Operations
    let configuration: PlaneConfiguration

    init(store: Store, operations: Operations, configuration: PlaneConfiguration) {
        self.store = store
        self.operations = operations
        self.configuration = configuration
    }

    func base(_ project: String) -> String { "\(configuration.baseURL)/compute/v1/projects/\(project)" }

    static let created = "2026-01-01T00:00:00.000+00:00"

    // MARK: Networks

    func handleNetworks(_ request: APIRequest, project: String, name: String?) throws -> APIResponse {
        let path = "projects/\(project)/global/networks"
        switch (request.method, name) {
        case ("GET", nil):
            return ListResponse.make(base: base(project), project: project, path: "global/networks", kind: "compute#networkList",
                                     items: try [defaultNetwork(project)] + store.list(path).map { try withSubnetworks($0, project: project) }, request)
        case ("GET", let name?):
            guard let network = try network(project, name) else { throw APIError.notFound("\(path)/\(name)") }
            return APIResponse(json: network)
        case ("POST", nil):
            if let op = try operations.existing(requestId: request.query["requestId"], project: project) { return APIResponse(json: op) }
            return APIResponse(json: try insertNetwork(try request.json(), project: project, requestId: request.query["requestId"]))
        case ("DELETE", let name?):
            if let op = try operations.existing(requestId: request.query["requestId"], project: project) { return APIResponse(json: op) }
            return APIResponse(json: try deleteNetwork(project, name, requestId: request.query["requestId"]))
        default:
            throw APIError(404, "notFound", "No Compute API at \(request.path)")
        }
    }

    /// The network named `name` (with its `subnetworks`), `default` included; nil if none.
    func network(_ project: String, _ name: String) throws -> JSONValue? {
        if name == "default" { return defaultNetwork(project) }
        return try store.get("projects/\(project)/global/networks", name).map { try withSubnetworks($0, project: project) }
    }

    func defaultNetwork(_ project: String) -> JSONValue {
        ["kind": "compute#network", "id": .string(Catalog.stableID("network/default")), "name": "default",
         "description": "Default network for the project", "autoCreateSubnetworks": true, "mtu": 1460,
         "routingConfig": ["routingMode": "REGIONAL"], "networkFirewallPolicyEnforcementOrder": "AFTER_CLASSIC_FIREWALL",
         "creationTimestamp": .string(Self.created), "selfLink": .string("\(base(project))/global/networks/default"),
         "subnetworks": .array(configuration.regions.map { .string("\(base(project))/regions/\($0)/subnetworks/default") })]
    }

    func withSubnetworks(_ network: JSONValue, project: String) throws -> JSONValue {
        guard network["autoCreateSubnetworks"] != nil, let link = network["selfLink"]?.string else { return network }
        var out = network
        out["subnetworks"] = .array(try allSubnetworks(project).filter { $0["network"]?.string == link }.compactMap { $0["selfLink"] })
        return out
    }

    func insertNetwork(_ request: JSONValue, project: String, requestId: String?) throws -> JSONValue {
        try SchemaValidator.compute.validate(request, as: "Network")
        try ResourceValidation.common(request)
        var body = request
        let name = body["name"]!.string!
        if name == "default" { throw APIError.alreadyExists("projects/\(project)/global/networks/default") }
        let selfLink = "\(base(project))/global/networks/\(name)"
        body["kind"] = "compute#network"
        body["id"] = .string(Identifiers.newID())
        body["creationTimestamp"] = .string(Identifiers.timestamp())
        body["selfLink"] = .string(selfLink)
        if body["mtu"] == nil { body["mtu"] = 1460 }
        if body["routingConfig"] == nil { body["routingConfig"] = ["routingMode": "REGIONAL"] }
        if body["networkFirewallPolicyEnforcementOrder"] == nil { body["networkFirewallPolicyEnforcementOrder"] = "AFTER_CLASSIC_FIREWALL" }
        try store.insert("projects/\(project)/global/networks", name, body)
        if body["autoCreateSubnetworks"]?.bool == true {
            for (i, region) in configuration.regions.enumerated() {
                let subnet = subnetworkBody(project: project, region: region, name: name, network: selfLink,
                                            range: CIDR(address: (10 << 24) | UInt32(128 + 4 * i) << 16, prefix: 20))
                try? store.insert("projects/\(project)/regions/\(region)/subnetworks", name, subnet)
            }
        }
        return try operations.begin(project: project, scope: "global", type: "insert", targetLink: selfLink,
                                    targetId: body["id"]?.string, requestId: requestId, done: true).body
    }

    func deleteNetwork(_ project: String, _ name: String, requestId: String?) throws -> JSONValue {
        let path = "projects/\(project)/global/networks"
        if name == "default" {
            throw APIError.invalid("The network 'default' of this plane cannot be deleted (sortie serve keeps it in every project).")
        }
        guard let network = try store.get(path, name), let link = network["selfLink"]?.string else { throw APIError.notFound("\(path)/\(name)") }
        let own = try allSubnetworks(project).filter { $0["network"]?.string == link }
        let auto = network["autoCreateSubnetworks"]?.bool == true
        if let user = try user(of: link, project: project, ignoring: auto ? Set(own.compactMap { $0["selfLink"]?.string }) : []) {
            throw APIError.inUse("\(path)/\(name)", by: user)
        }
        for subnet in own {
            guard let region = subnet["region"]?.string?.split(separator: "/").last, let subnetName = subnet["name"]?.string else { continue }
            try? store.delete("projects/\(project)/regions/\(region)/subnetworks", subnetName)
        }
        try store.delete(path, name)
        return try operations.begin(project: project, scope: "global", type: "delete", targetLink: link,
                                    targetId: network["id"]?.string, requestId: requestId, done: true).body
    }

    /// The first stored resource (other than operations and `ignoring`) whose JSON names `link`.
    func user(of link: String, project: String, ignoring: Set<String>) throws -> String? {
        for (collection, body) in try store.listAll(like: "projects/\(project)/%") where !collection.hasSuffix("/operations") {
            guard let selfLink = body["selfLink"]?.string, selfLink != link, !ignoring.contains(selfLink) else { continue }
            if String(decoding: body.data, as: UTF8.self).contains("\"\(link)\"") {
                return "\(collection)/\(body["name"]?.string ?? "")"
            }
        }
        return nil
    }

    // MARK: Subnetworks

    func handleSubnetworks(_ request: APIRequest, project: String, region: String, name: String?) throws -> APIResponse {
        let path = "projects/\(project)/regions/\(region)/subnetworks"
        switch (request.method, name) {
        case ("GET", nil):
            return ListResponse.make(base: base(project), project: project, path: "regions/\(region)/subnetworks",
                                     kind: "compute#subnetworkList", items: try subnetworks(project, region: region), request)
        case ("GET", let name?):
            guard let subnet = try subnetwork(project, region: region, name) else { throw APIError.notFound("\(path)/\(name)") }
            return APIResponse(json: subnet)
        case ("POST", nil):
            if let op = try operations.existing(requestId: request.query["requestId"], project: project) { return APIResponse(json: op) }
            return APIResponse(json: try insertSubnetwork(try request.json(), project: project, region: region, requestId: request.query["requestId"]))
        case ("DELETE", let name?):
            if let op = try operations.existing(requestId: request.query["requestId"], project: project) { return APIResponse(json: op) }
            return APIResponse(json: try deleteSubnetwork(project, region: region, name, requestId: request.query["requestId"]))
        default:
            throw APIError(404, "notFound", "No Compute API at \(request.path)")
        }
    }

    /// The default network's subnetwork in `region`, then the stored ones.
    func subnetworks(_ project: String, region: String) throws -> [JSONValue] {
        guard let index = configuration.regions.firstIndex(of: region) else { return [] }
        let fallback = subnetworkBody(project: project, region: region, name: "default", network: "\(base(project))/global/networks/default",
                                      range: CIDR(address: (10 << 24) | UInt32(128 + 4 * index) << 16, prefix: 20), id: Catalog.stableID("subnetwork/default/" + region))
        return [fallback] + (try store.list("projects/\(project)/regions/\(region)/subnetworks"))
    }

    func allSubnetworks(_ project: String) throws -> [JSONValue] {
        try configuration.regions.flatMap { try subnetworks(project, region: $0) }
    }

    func subnetwork(_ project: String, region: String, _ name: String) throws -> JSONValue? {
        try subnetworks(project, region: region).first { $0["name"]?.string == name }
    }

    func subnetworkBody(project: String, region: String, name: String, network: String, range: CIDR, id: String? = nil) -> JSONValue {
        ["kind": "compute#subnetwork", "id": .string(id ?? Identifiers.newID()), "name": .string(name),
         "creationTimestamp": .string(id == nil ? Identifiers.timestamp() : Self.created),
         "network": .string(network), "ipCidrRange": .string(range.description), "gatewayAddress": .string(range.gateway),
         "region": .string("\(base(project))/regions/\(region)"), "selfLink": .string("\(base(project))/regions/\(region)/subnetworks/\(name)"),
         "fingerprint": .string(id.map { String($0.suffix(16)) } ?? Identifiers.randomToken(bytes: 8)), "privateIpGoogleAccess": false, "purpose": "PRIVATE",
         "stackType": "IPV4_ONLY"]
    }

    func insertSubnetwork(_ request: JSONValue, project: String, region: String, requestId: String?) throws -> JSONValue {
        try SchemaValidator.compute.validate(request, as: "Subnetwork")
        try ResourceValidation.common(request)
        let name = request["name"]!.string!
        guard let networkText = request["network"]?.string else { throw APIError.required("resource.network") }
        let network = try resolveNetwork(networkText, project: project, field: "resource.network")
        guard network["autoCreateSubnetworks"] != nil else {
            throw APIError.invalid("Invalid value for field 'resource.network': '\(networkText)'. Legacy networks have no subnetworks.")
        }
        guard let rangeText = request["ipCidrRange"]?.string else { throw APIError.required("resource.ipCidrRange") }
        guard let range = CIDR(rangeText), (8...29).contains(range.prefix) else {
            throw APIError.invalid("Invalid value for field 'resource.ipCidrRange': '\(rangeText)'. Must be an IPv4 network address with a prefix length from /8 to /29, like 10.0.0.0/24.")
        }
        let networkLink = network["selfLink"]!.string!
        for other in try allSubnetworks(project) where other["network"]?.string == networkLink {
            guard let otherRange = other["ipCidrRange"]?.string.flatMap({ CIDR($0) }), otherRange.overlaps(range) else { continue }
            let otherRegion = other["region"]?.string?.split(separator: "/").last.map(String.init) ?? ""
            throw APIError.invalid("Invalid IPCidrRange: \(rangeText) conflicts with existing subnetwork '\(other["name"]?.string ?? "")' in region '\(otherRegion)'.")
        }
        var body = subnetworkBody(project: project, region: region, name: name, network: networkLink, range: range)
        for (key, value) in request.object ?? [:] where body[key] == nil { body[key] = value }
        if try subnetwork(project, region: region, name) != nil {
            throw APIError.alreadyExists("projects/\(project)/regions/\(region)/subnetworks/\(name)")
        }
        try store.insert("projects/\(project)/regions/\(region)/subnetworks", name, body)
        return try operations.begin(project: project, scope: "regions/\(region)", type: "insert", targetLink: body["selfLink"]!.string!,
                                    targetId: body["id"]?.string, requestId: requestId, done: true).body
    }

    func deleteSubnetwork(_ project: String, region: String, _ name: String, requestId: String?) throws -> JSONValue {
        let path = "projects/\(project)/regions/\(region)/subnetworks"
        guard let subnet = try store.get(path, name), let link = subnet["selfLink"]?.string else {
            if name == "default" { throw APIError.invalid("The subnetwork 'default' of the network 'default' cannot be deleted on this plane.") }
            throw APIError.notFound("\(path)/\(name)")
        }
        if let networkLink = subnet["network"]?.string, let network = try? resolveNetwork(networkLink, project: project, field: "network"),
           network["autoCreateSubnetworks"]?.bool == true, network["name"]?.string == name {
            throw APIError.invalid("The subnetwork '\(name)' was created with the auto-mode network '\(name)' and is deleted with it.")
        }
        if let user = try user(of: link, project: project, ignoring: []) { throw APIError.inUse("\(path)/\(name)", by: user) }
        try store.delete(path, name)
        return try operations.begin(project: project, scope: "regions/\(region)", type: "delete", targetLink: link,
                                    targetId: subnet["id"]?.string, requestId: requestId, done: true).body
    }
}

/// An IPv4 network in CIDR notation, as subnetworks' `ipCidrRange` takes it.
struct CIDR: Equatable, CustomStringConvertible {
    var address: UInt32
    var prefix: Int

    init(address: UInt32, prefix: Int) {
        self.address = address
        self.prefix = prefix
    }

    /// Parses `10.0.0.0/24`; nil unless the address is a network address (no host bits set).
    init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let prefix = Int(parts[1]), (0...32).contains(prefix) else { return nil }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        guard octets.count == 4 else { return nil }
        let address = octets.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        self.init(address: address, prefix: prefix)
        guard address & ~mask == 0 else { return nil }
    }

    var mask: UInt32 { prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix) }

    func overlaps(_ other: CIDR) -> Bool {
        let shorter = min(prefix, other.prefix)
        let common: UInt32 = shorter == 0 ? 0 : UInt32.max << UInt32(32 - shorter)
        return address & common == other.address & common
    }

    static func dotted(_ value: UInt32) -> String {
        [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xff) }.joined(separator: ".")
    }

    var description: String { "\(Self.dotted(address))/\(prefix)" }
    /// The first address of the range, which GCE gives the gateway.
    var gateway: String { Self.dotted(address + 1) }
}
