/// A firewall rule (`global/firewalls`), e.g. letting the health-check ranges reach tagged VMs.
public struct Firewall: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String
    public var description: String?
    public var network: String?
    /// `INGRESS` or `EGRESS`.
    public var direction: String?
    public var priority: Int?
    public var sourceRanges: [String]?
    public var targetTags: [String]?
    public var allowed: [Rule]?
    public var creationTimestamp: String?
    public var selfLink: String?

    public init(name: String, network: String? = "global/networks/default", sourceRanges: [String], targetTags: [String]? = nil,
                allowed: [Rule]) {
        self.name = name
        self.network = network
        self.direction = "INGRESS"
        self.sourceRanges = sourceRanges
        self.targetTags = targetTags
        self.allowed = allowed
    }

    /// `{"IPProtocol": "tcp", "ports": ["8080"]}`.
    public struct Rule: Codable, Sendable, Equatable {
        public var ipProtocol: String
        public var ports: [String]?

        public init(ipProtocol: String, ports: [String]? = nil) {
            self.ipProtocol = ipProtocol
            self.ports = ports
        }

        enum CodingKeys: String, CodingKey {
            case ipProtocol = "IPProtocol"
            case ports
        }
    }
}
