/// A URL map (`global/urlMaps`); Sortie uses only `defaultService`.
public struct UrlMap: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String
    public var description: String?
    public var defaultService: String?
    public var fingerprint: String?
    public var creationTimestamp: String?
    public var selfLink: String?

    public init(name: String, defaultService: String) {
        self.name = name
        self.defaultService = defaultService
    }
}

/// A target HTTP proxy (`global/targetHttpProxies`) in front of a URL map.
public struct TargetHttpProxy: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String
    public var description: String?
    public var urlMap: String?
    public var creationTimestamp: String?
    public var selfLink: String?

    public init(name: String, urlMap: String) {
        self.name = name
        self.urlMap = urlMap
    }
}

/// A global forwarding rule: the load balancer's address and port, sending to a target proxy.
public struct ForwardingRule: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String
    public var description: String?
    public var ipAddress: String?
    public var ipProtocol: String?
    public var portRange: String?
    public var target: String?
    public var loadBalancingScheme: String?
    public var networkTier: String?
    public var creationTimestamp: String?
    public var selfLink: String?

    public init(name: String, target: String, portRange: String, ipAddress: String? = nil,
                loadBalancingScheme: String? = "EXTERNAL_MANAGED") {
        self.name = name
        self.target = target
        self.portRange = portRange
        self.ipAddress = ipAddress
        self.ipProtocol = "TCP"
        self.loadBalancingScheme = loadBalancingScheme
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description, portRange, target, loadBalancingScheme, networkTier, creationTimestamp, selfLink
        case ipAddress = "IPAddress"
        case ipProtocol = "IPProtocol"
    }
}
