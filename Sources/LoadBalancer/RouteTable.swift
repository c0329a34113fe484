/// Which backend service serves a request: the host rules and path matchers of a GCE URL map,
/// resolved to service names. Pure; ``ReverseProxy`` consults it once per request.
///
/// Semantics (GCE's `UrlMap`, with the choices made where its documents are vague):
/// - The host is the request's `Host` header, lower-cased, without its port (unless a pattern
///   names a port: `example.com:8080` matches only that port). A host rule's `hosts` are exact
///   names, `*` (any host), or `*` followed by `.` or `-` and a suffix (`*.example.com` matches
///   `a.example.com` and `a.b.example.com`, not `example.com`). An exact host wins over a
///   wildcard, a longer wildcard suffix over a shorter one, and `*` comes last.
/// - The matched host rule names a path matcher. Its path rules' `paths` are exact paths, or end
///   in `/*` to match every path under that prefix (`/v2/*` matches `/v2/` and `/v2/a/b`, not
///   `/v2`). The longest matching pattern wins whatever the order (an exact path beats a prefix of
///   the same length); no match → the matcher's `defaultService`. The query (after `?`) and
///   fragment (after `#`) are not part of the path.
/// - No host rule matches → the URL map's `defaultService`.
public struct RouteTable: Sendable, Equatable {
    /// `hosts` → the path matcher called `pathMatcher`.
    public struct HostRule: Sendable, Equatable {
        public var hosts: [String]
        public var pathMatcher: String

        public init(hosts: [String], pathMatcher: String) {
            self.hosts = hosts
            self.pathMatcher = pathMatcher
        }
    }

    /// A path matcher: its path rules, and the service for paths none of them matches.
    public struct PathMatcher: Sendable, Equatable {
        public var defaultService: String?
        public var pathRules: [PathRule]

        public init(defaultService: String?, pathRules: [PathRule] = []) {
            self.defaultService = defaultService
            self.pathRules = pathRules
        }
    }

    /// `paths` (exact, or a prefix ending in `/*`) → `service`.
    public struct PathRule: Sendable, Equatable {
        public var paths: [String]
        public var service: String

        public init(paths: [String], service: String) {
            self.paths = paths
            self.service = service
        }
    }

    /// The service when no host rule matches; nil: such requests have no service (503).
    public var defaultService: String?
    public var hostRules: [HostRule]
    /// Path matchers by name.
    public var pathMatchers: [String: PathMatcher]

    public init(defaultService: String?, hostRules: [HostRule] = [], pathMatchers: [String: PathMatcher] = [:]) {
        self.defaultService = defaultService
        self.hostRules = hostRules
        self.pathMatchers = pathMatchers
    }

    /// Every service the table can choose.
    public var services: Set<String> {
        var all = Set(pathMatchers.values.flatMap { matcher in matcher.pathRules.map(\.service) + [matcher.defaultService].compactMap { $0 } })
        if let defaultService { all.insert(defaultService) }
        return all
    }

    /// The service for a request with `Host` header `host` (nil when absent) and request target
    /// `path` (origin form `/a?b`, or absolute form `http://host/a`, whose host then wins).
    public func service(host: String?, path: String) -> String? {
        guard !hostRules.isEmpty else { return defaultService }
        var host = host
        var target = Substring(path)
        if !target.hasPrefix("/"), let scheme = target.firstRange(of: "://") {
            let rest = target[scheme.upperBound...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            host = String(rest[..<slash])
            target = rest[slash...]
        }
        guard let name = pathMatcherName(host: host), let matcher = pathMatchers[name] else { return defaultService }
        let end = target.firstIndex { $0 == "?" || $0 == "#" } ?? target.endIndex
        return Self.service(in: matcher, path: target[..<end].isEmpty ? "/" : target[..<end])
    }

    // MARK: Hosts

    /// The path matcher of the best host rule for `host`, if any rule matches.
    func pathMatcherName(host: String?) -> String? {
        let (name, port) = Self.split(host: host?.lowercased() ?? "")
        let withPort = port.map { "\(name):\($0)" }
        var best: (rank: Int, matcher: String)?
        for rule in hostRules {
            for pattern in rule.hosts {
                guard let rank = Self.rank(pattern.lowercased(), host: name, hostWithPort: withPort) else { continue }
                if best == nil || rank > best!.rank { best = (rank, rule.pathMatcher) }
            }
        }
        return best?.matcher
    }

    /// How well `pattern` matches (higher is better), or nil when it does not: `*` ranks 0, a
    /// wildcard suffix its length, an exact host above every wildcard.
    static func rank(_ pattern: String, host: String, hostWithPort: String?) -> Int? {
        if pattern == "*" { return 0 }
        let subject = Self.split(host: pattern).port == nil ? host : (hostWithPort ?? host)
        if pattern.hasPrefix("*") {
            let suffix = pattern.dropFirst()
            guard suffix.first == "." || suffix.first == "-", subject.count > suffix.count, subject.hasSuffix(suffix) else { return nil }
            return suffix.count
        }
        return pattern == subject ? Int.max : nil
    }

    /// `host` without its port (`example.com:80`, `[::1]:80`), and the port.
    static func split(host: String) -> (name: String, port: Substring?) {
        var text = Substring(host)
        if text.hasSuffix(".") { text = text.dropLast() }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return (String(text), nil) }
            let after = text[text.index(after: close)...]
            return (String(text[...close]), after.hasPrefix(":") ? after.dropFirst() : nil)
        }
        guard let colon = text.lastIndex(of: ":") else { return (String(text), nil) }
        return (String(text[..<colon]), text[text.index(after: colon)...])
    }

    // MARK: Paths

    /// The service of the longest path pattern in `matcher` matching `path`, else its default.
    static func service(in matcher: PathMatcher, path: Substring) -> String? {
        var best: (length: Int, exact: Bool, service: String)?
        for rule in matcher.pathRules {
            for pattern in rule.paths {
                let exact = !pattern.hasSuffix("/*")
                let length: Int
                if exact {
                    guard path == pattern else { continue }
                    length = pattern.count
                } else {
                    let prefix = pattern.dropLast()
                    guard path.hasPrefix(prefix) else { continue }
                    length = prefix.count
                }
                if let current = best, current.length > length || (current.length == length && (current.exact || !exact)) { continue }
                best = (length, exact, rule.service)
            }
        }
        return best?.service ?? matcher.defaultService
    }
}
