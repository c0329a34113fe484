/// Parses the many ways GCE lets a resource be named: a full URL on any host, `projects/p/...`,
/// `global/...`, `zones/z/...`, or a bare name where the collection is implied.
struct ResourceReference: Equatable {
    var project: String
    /// `global`, `zones/Z` or `regions/R`.
    var scope: String
    var collection: String
    var name: String

    var collectionPath: String { "projects/\(project)/\(scope)/\(collection)" }

    /// - Parameters:
    ///   - text: the reference as the client wrote it.
    ///   - project, scope: the defaults for partial references.
    ///   - collection: the collection the reference must name (e.g. `images`).
    static func parse(_ text: String, project: String, scope: String, collection: String) -> ResourceReference? {
        var path = Substring(text)
        if let range = path.range(of: "/compute/v1/") { path = path[range.upperBound...] }
        else if let range = path.range(of: "/compute/beta/") { path = path[range.upperBound...] }
        var parts = path.split(separator: "/").map(String.init)
        var project = project
        var scope = scope
        if parts.first == "projects", parts.count >= 2 {
            project = parts[1]
            parts.removeFirst(2)
        }
        if parts.first == "global" {
            scope = "global"
            parts.removeFirst()
        } else if parts.first == "zones" || parts.first == "regions", parts.count >= 2 {
            scope = "\(parts[0])/\(parts[1])"
            parts.removeFirst(2)
        }
        if parts.count == 1 { return ResourceReference(project: project, scope: scope, collection: collection, name: parts[0]) }
        if parts.count == 2, parts[0] == collection { return ResourceReference(project: project, scope: scope, collection: collection, name: parts[1]) }
        if parts.count == 3, parts[0] == collection, parts[1] == "family" {
            return ResourceReference(project: project, scope: scope, collection: collection, name: "family/" + parts[2])
        }
        return nil
    }
}
