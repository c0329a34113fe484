/// One page of a Compute Engine list (`images.list`, `instanceTemplates.list`, ...).
public struct ResourceList<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]?
    public var nextPageToken: String?

    public init(items: [Item]? = nil, nextPageToken: String? = nil) {
        self.items = items
        self.nextPageToken = nextPageToken
    }
}

/// One page of an aggregated list (`GET …/aggregated/instanceGroupManagers`): the resources of every
/// zone and region, keyed by scope (`zones/us-west1-a`, `regions/us-west1`).
public struct AggregatedList<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [String: ScopedList]?
    public var nextPageToken: String?

    public init(items: [String: ScopedList]? = nil, nextPageToken: String? = nil) {
        self.items = items
        self.nextPageToken = nextPageToken
    }

    /// A scope's entry: its resources under the collection's name (`instanceGroupManagers`), or a warning.
    public struct ScopedList: Codable, Sendable {
        public var resources: [Item]

        public init(resources: [Item]) { self.resources = resources }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            resources = []
            for key in container.allKeys where key.stringValue != "warning" {
                resources += (try? container.decode([Item].self, forKey: key)) ?? []
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(resources, forKey: Key(stringValue: "items"))
        }
    }
}
