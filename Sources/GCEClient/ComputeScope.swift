import GCEModel

/// Where a Compute resource or operation lives: `global`, a zone or a region. Zonal and regional
/// groups and autoscalers use the same calls with a different scope.
public enum ComputeScope: Sendable, Hashable, CustomStringConvertible {
    case global
    case zone(String)
    case region(String)

    /// The path component: `global`, `zones/Z` or `regions/R`.
    public var path: String {
        switch self {
        case .global: return "global"
        case .zone(let zone): return "zones/\(zone)"
        case .region(let region): return "regions/\(region)"
        }
    }

    public var description: String { path }

    /// The scope of an operation, from its `zone` or `region` URL.
    public init(of operation: ComputeOperation) {
        if let zone = operation.zone, let name = zone.split(separator: "/").last {
            self = .zone(String(name))
        } else if let region = operation.region, let name = region.split(separator: "/").last {
            self = .region(String(name))
        } else {
            self = .global
        }
    }
}
