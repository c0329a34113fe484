/// One page of a Compute Engine list (`images.list`, `instanceTemplates.list`, ...).
public struct ResourceList<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]?
    public var nextPageToken: String?

    public init(items: [Item]? = nil, nextPageToken: String? = nil) {
        self.items = items
        self.nextPageToken = nextPageToken
    }
}
