/// A Compute Engine region (`regions.get`): the zones in it, as URLs.
public struct Region: Codable, Sendable, Equatable {
    public var name: String
    public var status: String?
    public var zones: [String]?
    public var selfLink: String?

    public init(name: String, status: String? = "UP", zones: [String]? = nil) {
        self.name = name
        self.status = status
        self.zones = zones
    }
}
