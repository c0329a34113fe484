/// What GCE checks and rewrites in a global forwarding rule's `portRange` (the only kind of
/// forwarding rule the plane serves: one whose target is a target HTTP proxy).
///
/// - `portRange` matches `\d+(?:-\d+)?` (the discovery document's pattern), ports 1–65535.
/// - A single port is stored and returned as GCE does, `"80"` as `"80-80"`.
/// - A target HTTP proxy listens on one port: a range of several ports is refused.
/// - With the classic scheme (`EXTERNAL`), a target HTTP proxy takes only ports 80 and 8080
///   (GCE's forwarding rule port specifications); `EXTERNAL_MANAGED` takes any port.
/// - Plane extension: a rule whose `IPAddress` is a loopback address may use any port, so that
///   local listeners and tests need no privileged port.
enum ForwardingRuleRules {
    /// The ports a classic (`EXTERNAL`) target HTTP proxy accepts.
    static let classicHTTPPorts: Set<Int> = [80, 8080]

    /// Normalises `body["portRange"]` (default 80) to `"N-N"` and checks it against the rule's
    /// scheme and address. Throws 400 `invalid` with GCE's field path.
    static func normalisePortRange(_ body: inout JSONValue) throws {
        let text = body["portRange"]?.string ?? "80"
        guard let (low, high) = parse(text) else {
            throw APIError.invalid("Invalid value for field 'resource.portRange': '\(text)'. Must be a port or a range of ports (\"80\", \"8000-8080\"), each from 1 to 65535, the first not above the second.")
        }
        guard low == high else {
            throw APIError.invalid("Invalid value for field 'resource.portRange': '\(text)'. A forwarding rule whose target is a target HTTP proxy listens on exactly one port.")
        }
        let scheme = body["loadBalancingScheme"]?.string ?? "EXTERNAL"
        let address = body["IPAddress"]?.string ?? ""
        if scheme == "EXTERNAL", !classicHTTPPorts.contains(low), !isLoopback(address) {
            throw APIError.invalid("Invalid value for field 'resource.portRange': '\(text)'. A forwarding rule with load balancing scheme EXTERNAL whose target is a target HTTP proxy can only use ports 80 and 8080 (or use EXTERNAL_MANAGED, or a loopback IPAddress on this plane).")
        }
        body["portRange"] = .string("\(low)-\(high)")
    }

    /// `"80"` → (80, 80), `"8000-8080"` → (8000, 8080); nil unless ports are 1...65535 and ordered.
    static func parse(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let low = Int(parts[0]), let high = Int(parts.last!), (1...65535).contains(low), (1...65535).contains(high), low <= high
        else { return nil }
        return (low, high)
    }

    /// An IPv4 address in 127.0.0.0/8, or `::1`.
    static func isLoopback(_ address: String) -> Bool {
        if address == "::1" || address == "0:0:0:0:0:0:0:1" { return true }
        let octets = address.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
