import Foundation

/// Resolving the networks and subnetworks that instances and templates name, with GCE's rules.
extension NetworkService {
    // MARK: References

    /// The network a reference names (`default`, `global/networks/N`, `projects/P/global/networks/N`,
    /// a URL); 404 `notFound` if it does not exist.
    func resolveNetwork(_ text: String, project: String, field: String) throws -> JSONValue {
        guard let ref = ResourceReference.parse(text, project: project, scope: "global", collection: "networks"), ref.scope == "global",
              let network = try network(ref.project, ref.name) else {
            throw APIError(404, "notFound", "The resource '\(text)' was not found (\(field)).")
        }
        return network
    }

    /// The full URL of the network a reference names (default `default`), checked to exist.
    func networkLink(_ text: String?, project: String, field: String) throws -> String {
        try resolveNetwork(text ?? "default", project: project, field: field)["selfLink"]!.string!
    }

    /// A network interface as GCE resolves it: `network` and `subnetwork` as full URLs, the
    /// subnetwork checked against the network's mode, the network and `region` (an instance's
    /// region; nil for a global template, whose subnetwork names its own region). An instance on
    /// an auto-mode network without a subnetwork gets the network's subnetwork in its region.
    func resolveInterface(_ nic: JSONValue, field: String, project: String, region: String?) throws -> JSONValue {
        var out = nic
        let networkText = nic["network"]?.string
        guard let subnetText = nic["subnetwork"]?.string else {
            let network = try resolveNetwork(networkText ?? "default", project: project, field: "\(field).network")
            if network["autoCreateSubnetworks"]?.bool == false {
                throw APIError.invalid("Invalid value for field '\(field)': '\(Self.quote(nic))'. Subnetwork should be specified for custom subnetmode network")
            }
            let link = network["selfLink"]!.string!
            out["network"] = .string(link)
            if let region, network["autoCreateSubnetworks"]?.bool == true,
               let auto = try subnetworks(project, region: region).first(where: { $0["network"]?.string == link }) {
                out["subnetwork"] = auto["selfLink"]
            }
            return out
        }
        guard let ref = ResourceReference.parse(subnetText, project: project, scope: region.map { "regions/\($0)" } ?? "global", collection: "subnetworks"),
              ref.scope.hasPrefix("regions/") else {
            throw APIError.invalid("Invalid value for field '\(field).subnetwork': '\(subnetText)'. Name the subnetwork with its region: regions/REGION/subnetworks/NAME.")
        }
        let subnetRegion = String(ref.scope.dropFirst("regions/".count))
        guard let subnet = try subnetwork(ref.project, region: subnetRegion, ref.name) else {
            throw APIError(404, "notFound", "The resource 'projects/\(ref.project)/regions/\(subnetRegion)/subnetworks/\(ref.name)' was not found (\(field).subnetwork).")
        }
        if let region, subnetRegion != region {
            throw APIError.invalid("Invalid value for field '\(field).subnetwork': '\(subnetText)'. Subnetwork must be in the same region as the instance ('\(region)'), not in '\(subnetRegion)'.")
        }
        let subnetNetwork = subnet["network"]?.string ?? ""
        if let networkText {
            let network = try resolveNetwork(networkText, project: project, field: "\(field).network")
            guard network["autoCreateSubnetworks"] != nil else {
                throw APIError.invalid("Invalid value for field '\(field).subnetwork': '\(subnetText)'. A legacy network has no subnetworks: do not specify one.")
            }
            guard network["selfLink"]?.string == subnetNetwork else {
                throw APIError.invalid("Invalid value for field '\(field).subnetwork': '\(subnetText)'. The subnetwork belongs to network '\(subnetNetwork)', not to '\(networkText)'.")
            }
        }
        out["network"] = .string(subnetNetwork)
        out["subnetwork"] = subnet["selfLink"]
        return out
    }

    /// The region of a subnetwork URL stored in an interface, if any.
    static func region(ofSubnetwork link: String?) -> String? {
        guard let parts = link?.split(separator: "/"), let i = parts.lastIndex(of: "regions"), i + 1 < parts.count else { return nil }
        return String(parts[i + 1])
    }

    /// An interface as GCE quotes it in messages: its JSON, cut at 80 characters.
    static func quote(_ nic: JSONValue) -> String {
        let text = String(decoding: nic.data, as: UTF8.self)
        return text.count > 80 ? String(text.prefix(80)) + "..." : text
    }
}
