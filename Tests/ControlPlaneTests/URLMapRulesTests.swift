import LoadBalancer
import Testing
@testable import ControlPlane

/// URL maps as GCE checks them on insert and patch, and the routes the load balancer gets.
@Suite struct URLMapRulesTests {
    static let base = "http://127.0.0.1/compute/v1/projects/p/global/backendServices/"
    static let existing: Set<String> = ["web", "api"]

    /// Resolves `global/backendServices/NAME` like the plane does: 404 for a service that does
    /// not exist, the full URL otherwise.
    static func resolve(_ value: JSONValue?, _ field: String) throws -> JSONValue {
        guard let text = value?.string else { throw APIError.required("resource.\(field)") }
        let name = String(text.split(separator: "/").last ?? "")
        guard existing.contains(name) else { throw APIError(404, "notFound", "The resource '\(text)' was not found (resource.\(field)).") }
        return .string(base + name)
    }

    static let urlMap: JSONValue = [
        "name": "um", "defaultService": "global/backendServices/web",
        "hostRules": [["hosts": ["api.example.com", "*.api.example.com"], "pathMatcher": "api"]],
        "pathMatchers": [["name": "api", "defaultService": "global/backendServices/web",
                          "pathRules": [["paths": ["/v2/*", "/v2"], "service": "global/backendServices/api"]]]],
    ]

    func normalised(_ change: (inout JSONValue) -> Void = { _ in }) throws -> JSONValue {
        var body = Self.urlMap
        change(&body)
        try URLMapRules.normalise(&body, resolve: Self.resolve)
        return body
    }

    /// "STATUS reason" of the error `change` makes normalising fail with, or nil.
    func error(_ change: (inout JSONValue) -> Void) -> String? {
        do {
            _ = try normalised(change)
            return nil
        } catch let error as APIError {
            return "\(error.status) \(error.reason)"
        } catch {
            return "\(error)"
        }
    }

    @Test func everyServiceReferenceBecomesAFullURL() throws {
        let body = try normalised()
        #expect(body["defaultService"]?.string == Self.base + "web")
        #expect(body["pathMatchers"]?.array?.first?["defaultService"]?.string == Self.base + "web")
        #expect(body["pathMatchers"]?.array?.first?["pathRules"]?.array?.first?["service"]?.string == Self.base + "api")
    }

    @Test func routesFollowTheStoredMap() throws {
        let table = URLMapRules.routeTable(try normalised())
        #expect(table.service(host: "api.example.com", path: "/v2/items") == Self.base + "api")
        #expect(table.service(host: "eu.api.example.com:80", path: "/v2") == Self.base + "api")
        #expect(table.service(host: "api.example.com", path: "/") == Self.base + "web")
        #expect(table.service(host: "www.example.com", path: "/v2/items") == Self.base + "web")
        #expect(table.services == [Self.base + "web", Self.base + "api"])
    }

    @Test func unknownServicesAre404() {
        #expect(error { $0["defaultService"] = "global/backendServices/gone" } == "404 notFound")
        #expect(error { $0["pathMatchers"] = [["name": "api", "defaultService": "global/backendServices/gone"]] } == "404 notFound")
        #expect(error {
            $0["pathMatchers"] = [["name": "api", "defaultService": "global/backendServices/web",
                                   "pathRules": [["paths": ["/x"], "service": "global/backendServices/gone"]]]]
        } == "404 notFound")
    }

    @Test func unknownPathMatcherAndMalformedRulesAre400() {
        #expect(error { $0["hostRules"] = [["hosts": ["a.test"], "pathMatcher": "nope"]] } == "400 invalid")
        #expect(error { $0["hostRules"] = [["hosts": ["a.test"]]] } == "400 required")
        #expect(error {
            $0["hostRules"] = [["hosts": ["a.test"], "pathMatcher": "api"], ["hosts": ["A.test"], "pathMatcher": "api"]]
        } == "400 invalid")
        for host in ["a*.test", "*a.test", "a.test:0", "a b.test", ""] {
            #expect(error { $0["hostRules"] = [["hosts": .array([.string(host)]), "pathMatcher": "api"]] } == "400 invalid", "host \(host)")
        }
        for path in ["v2", "/v2*", "/v2/*/x", "/a?b", "/a#b"] {
            #expect(error {
                $0["pathMatchers"] = [["name": "api", "defaultService": "global/backendServices/web",
                                       "pathRules": [["paths": .array([.string(path)]), "service": "global/backendServices/api"]]]]
            } == "400 invalid", "path \(path)")
        }
        #expect(error {
            $0["pathMatchers"] = [["name": "api", "defaultService": "global/backendServices/web"],
                                  ["name": "api", "defaultService": "global/backendServices/web"]]
        } == "400 invalid")
    }

    @Test func acceptedHostPatterns() {
        for host in ["*", "example.com", "*.example.com", "*-dev.example.com", "example.com:8080", "10.0.0.1"] {
            #expect(URLMapRules.isValidHost(host), "\(host)")
        }
    }
}
