import Testing

@testable import LoadBalancer

/// GCE URL map matching: hosts select a path matcher, the longest path pattern wins.
@Suite struct RouteTableTests {
    typealias Rule = RouteTable.PathRule

    /// Host rules without `*`: unmatched hosts go to the URL map's default service.
    static let site = RouteTable(
        defaultService: "default",
        hostRules: [
            .init(hosts: ["example.com", "www.example.com"], pathMatcher: "site"),
            .init(hosts: ["*.example.com"], pathMatcher: "wild"),
            .init(hosts: ["*.api.example.com"], pathMatcher: "api"),
            .init(hosts: ["*-dev.example.net"], pathMatcher: "dev"),
            .init(hosts: ["example.org:8080"], pathMatcher: "port"),
        ],
        pathMatchers: [
            "site": .init(defaultService: "site-web", pathRules: [
                Rule(paths: ["/v2/beta/*"], service: "v2-beta"),
                Rule(paths: ["/v2/*"], service: "v2"),
                Rule(paths: ["/exact", "/also-exact"], service: "exact"),
            ]),
            "wild": .init(defaultService: "wild-web"),
            "api": .init(defaultService: "api-web"),
            "dev": .init(defaultService: "dev-web"),
            "port": .init(defaultService: "port-web"),
        ])

    struct Case: Sendable, CustomTestStringConvertible {
        var host: String
        var path: String
        var service: String
        init(_ host: String, _ path: String, _ service: String) {
            self.host = host
            self.path = path
            self.service = service
        }
        var testDescription: String { "\(host) \(path) → \(service)" }
    }

    @Test(arguments: [
        // Hosts: exact, case and port ignored, trailing dot.
        Case("example.com", "/", "site-web"),
        Case("EXAMPLE.com:8080", "/", "site-web"),
        Case("www.example.com.", "/", "site-web"),
        // Wildcards: any depth, the longest suffix wins, never the bare domain of the suffix.
        Case("a.example.com", "/", "wild-web"),
        Case("a.b.example.com", "/v2/x", "wild-web"),
        Case("api.example.com", "/", "wild-web"),
        Case("x.api.example.com", "/", "api-web"),
        Case("app-dev.example.net", "/", "dev-web"),
        Case("dev.example.net", "/", "default"),
        // A pattern with a port matches that port only.
        Case("example.org:8080", "/", "port-web"),
        Case("example.org", "/", "default"),
        // No host rule matches.
        Case("other.org", "/v2/x", "default"),
        Case("[::1]:80", "/", "default"),
        // Paths: prefix rules match below the slash, the longest wins whatever the order.
        Case("example.com", "/v2/", "v2"),
        Case("example.com", "/v2/x/y", "v2"),
        Case("example.com", "/v2", "site-web"),
        Case("example.com", "/v2x", "site-web"),
        Case("example.com", "/v2/beta/1", "v2-beta"),
        Case("example.com", "/v2/beta", "v2"),
        // Exact paths, query and fragment ignored.
        Case("example.com", "/exact", "exact"),
        Case("example.com", "/also-exact?x=/v2/y", "exact"),
        Case("example.com", "/exact#top", "exact"),
        Case("example.com", "/exact/more", "site-web"),
        Case("example.com", "/v2/x?q=1", "v2"),
    ])
    func matches(_ c: Case) {
        #expect(Self.site.service(host: c.host, path: c.path) == c.service)
    }

    @Test func missingHostAndAbsoluteForm() {
        #expect(Self.site.service(host: nil, path: "/v2/x") == "default")
        // An absolute-form request target names the host itself.
        #expect(Self.site.service(host: "other.org", path: "http://www.example.com/v2/x") == "v2")
        #expect(Self.site.service(host: "other.org", path: "http://www.example.com") == "site-web")
    }

    @Test func starHostCatchesEverythingButExactHostsWin() {
        let table = RouteTable(
            defaultService: "default",
            hostRules: [.init(hosts: ["*"], pathMatcher: "all"), .init(hosts: ["exact.test"], pathMatcher: "exact")],
            pathMatchers: ["all": .init(defaultService: "all-web"), "exact": .init(defaultService: "exact-web")])
        #expect(table.service(host: "exact.test", path: "/") == "exact-web")
        #expect(table.service(host: "anything.test", path: "/") == "all-web")
        #expect(table.service(host: nil, path: "/") == "all-web")
    }

    @Test func exactPathBeatsPrefixOfSameLength() {
        let table = RouteTable(
            defaultService: "default",
            hostRules: [.init(hosts: ["*"], pathMatcher: "m")],
            pathMatchers: ["m": .init(defaultService: "m-web", pathRules: [Rule(paths: ["/a/*"], service: "prefix"), Rule(paths: ["/a/"], service: "exact")])])
        #expect(table.service(host: "h", path: "/a/") == "exact")
        #expect(table.service(host: "h", path: "/a/b") == "prefix")
    }

    @Test func hostRuleNamingAMissingMatcherFallsBackToTheDefault() {
        let table = RouteTable(defaultService: "default", hostRules: [.init(hosts: ["*"], pathMatcher: "gone")])
        #expect(table.service(host: "h", path: "/") == "default")
    }

    @Test func servicesListsEveryChoice() {
        #expect(Self.site.services == ["default", "site-web", "v2-beta", "v2", "exact", "wild-web", "api-web", "dev-web", "port-web"])
        #expect(RouteTable(defaultService: nil).services.isEmpty)
        #expect(RouteTable(defaultService: nil).service(host: "h", path: "/") == nil)
    }
}
