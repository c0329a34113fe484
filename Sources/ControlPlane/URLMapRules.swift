import LoadBalancer

/// A URL map's host rules and path matchers: checked as GCE checks them on insert and patch, and
/// turned into the load balancer's `RouteTable`.
enum URLMapRules {
    /// Checks the rules and resolves every service reference with `resolve` (value, field name
    /// under `resource.`; it throws 404 `notFound` for a service that does not exist and returns
    /// the full URL). Errors: 400 `invalid` for a host rule naming no path matcher, a path
    /// matcher name used twice, a host in two host rules, or a malformed host or path pattern;
    /// 400 `required` for missing fields.
    static func normalise(_ body: inout JSONValue, resolve: (JSONValue?, String) throws -> JSONValue) throws {
        body["defaultService"] = try resolve(body["defaultService"], "defaultService")
        var matchers = body["pathMatchers"]?.array ?? []
        var names = Set<String>()
        for i in matchers.indices {
            let field = "pathMatchers[\(i)]"
            guard let name = matchers[i]["name"]?.string else { throw APIError.required("resource.\(field).name") }
            guard names.insert(name).inserted else {
                throw APIError.invalid("Invalid value for field 'resource.\(field).name': '\(name)'. Duplicate path matcher name.")
            }
            matchers[i]["defaultService"] = try resolve(matchers[i]["defaultService"], "\(field).defaultService")
            var rules = matchers[i]["pathRules"]?.array ?? []
            for j in rules.indices {
                let ruleField = "\(field).pathRules[\(j)]"
                guard let paths = rules[j]["paths"]?.array, !paths.isEmpty else { throw APIError.required("resource.\(ruleField).paths") }
                for (k, path) in paths.enumerated() where !isValidPath(path.string ?? "") {
                    throw APIError.invalid("Invalid value for field 'resource.\(ruleField).paths[\(k)]': '\(path.string ?? "")'. A path must start with / and may contain * only at its end, after a /; no ? or #.")
                }
                rules[j]["service"] = try resolve(rules[j]["service"], "\(ruleField).service")
            }
            if matchers[i]["pathRules"] != nil { matchers[i]["pathRules"] = .array(rules) }
        }
        if body["pathMatchers"] != nil { body["pathMatchers"] = .array(matchers) }
        var hostsSeen = Set<String>()
        for (i, rule) in (body["hostRules"]?.array ?? []).enumerated() {
            let field = "hostRules[\(i)]"
            guard let matcher = rule["pathMatcher"]?.string else { throw APIError.required("resource.\(field).pathMatcher") }
            guard names.contains(matcher) else {
                throw APIError.invalid("Invalid value for field 'resource.\(field).pathMatcher': '\(matcher)'. Path matcher '\(matcher)' does not exist in this URL map.")
            }
            guard let hosts = rule["hosts"]?.array, !hosts.isEmpty else { throw APIError.required("resource.\(field).hosts") }
            for (k, host) in hosts.enumerated() {
                let text = host.string?.lowercased() ?? ""
                guard isValidHost(text) else {
                    throw APIError.invalid("Invalid value for field 'resource.\(field).hosts[\(k)]': '\(text)'. A host may start with * followed by . or -, and contains only letters, digits, -, . and an optional :port.")
                }
                guard hostsSeen.insert(text).inserted else {
                    throw APIError.invalid("Invalid value for field 'resource.\(field).hosts[\(k)]': '\(text)'. Host appears in more than one host rule.")
                }
            }
        }
    }

    /// GCE's rule for `pathRules[].paths`: starts with `/`, `*` only as the last character after
    /// a `/`, no `?` or `#`.
    static func isValidPath(_ path: String) -> Bool {
        guard path.hasPrefix("/"), !path.contains("?"), !path.contains("#") else { return false }
        let stars = path.filter { $0 == "*" }.count
        return stars == 0 || (stars == 1 && path.hasSuffix("/*"))
    }

    /// GCE's rule for `hostRules[].hosts`: a host name with an optional port; `*` only first, and
    /// then followed by `.` or `-` (or alone).
    static func isValidHost(_ host: String) -> Bool {
        var name = Substring(host)
        if let colon = name.lastIndex(of: ":") {
            guard let port = Int(name[name.index(after: colon)...]), (1...65535).contains(port) else { return false }
            name = name[..<colon]
        }
        if name == "*" { return true }
        if name.hasPrefix("*") {
            name = name.dropFirst()
            guard name.first == "." || name.first == "-" else { return false }
        }
        return !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
    }

    /// The routes of a stored URL map, services named by their full URLs.
    static func routeTable(_ urlMap: JSONValue) -> RouteTable {
        var matchers: [String: RouteTable.PathMatcher] = [:]
        for matcher in urlMap["pathMatchers"]?.array ?? [] {
            guard let name = matcher["name"]?.string else { continue }
            let rules = (matcher["pathRules"]?.array ?? []).compactMap { rule -> RouteTable.PathRule? in
                guard let service = rule["service"]?.string else { return nil }
                return RouteTable.PathRule(paths: rule["paths"]?.array?.compactMap(\.string) ?? [], service: service)
            }
            matchers[name] = RouteTable.PathMatcher(defaultService: matcher["defaultService"]?.string, pathRules: rules)
        }
        let hostRules = (urlMap["hostRules"]?.array ?? []).compactMap { rule -> RouteTable.HostRule? in
            guard let matcher = rule["pathMatcher"]?.string else { return nil }
            return RouteTable.HostRule(hosts: rule["hosts"]?.array?.compactMap(\.string) ?? [], pathMatcher: matcher)
        }
        return RouteTable(defaultService: urlMap["defaultService"]?.string, hostRules: hostRules, pathMatchers: matchers)
    }
}
