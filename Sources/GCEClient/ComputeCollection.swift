import Foundation
import GCEModel

/// One collection of Compute resources in one scope, e.g. the global health checks or the
/// instance group managers of a zone: insert, get, list, delete (and patch where the API has it).
/// Every mutation returns its `ComputeOperation` (wait on it with `ComputeClient.wait`) and carries a
/// `requestId`, new unless given, the same across retries.
public struct ComputeCollection<Resource: ComputeResource>: Sendable {
    let compute: ComputeClient
    public let scope: ComputeScope

    /// `…/compute/v1/projects/P/SCOPE/COLLECTION`.
    public var url: String { compute.url(scope.path + "/" + Resource.collection) }

    func url(_ name: String, _ verb: String? = nil) -> String {
        url + "/" + PathEncoding.segment(name) + (verb.map { "/" + $0 } ?? "")
    }

    /// Creates a resource.
    public func insert(_ resource: Resource, requestId: RequestID = RequestID()) async throws -> ComputeOperation {
        try await compute.rest.json("POST", url, query: [("requestId", requestId.value)], body: resource)
    }

    /// Reads a resource; a missing one is a `GCEAPIError` with `isNotFound` (see `ComputeClient.ifExists`).
    public func get(_ name: String) async throws -> Resource {
        try await compute.rest.json("GET", url(name))
    }

    /// Every resource matching `filter` (e.g. `ComputeFilter.equal(["family": "app"])`), all pages.
    public func list(filter: String? = nil, orderBy: String? = nil) async throws -> [Resource] {
        var items: [Resource] = []
        var pageToken: String?
        repeat {
            var query: [(String, String)] = [("maxResults", "500")]
            if let filter { query.append(("filter", filter)) }
            if let orderBy { query.append(("orderBy", orderBy)) }
            if let pageToken { query.append(("pageToken", pageToken)) }
            let page: ResourceList<Resource> = try await compute.rest.json("GET", url, query: query)
            items += page.items ?? []
            pageToken = page.nextPageToken.flatMap { $0.isEmpty ? nil : $0 }
        } while pageToken != nil
        return items
    }

    /// Deletes a resource.
    public func delete(_ name: String, requestId: RequestID = RequestID()) async throws -> ComputeOperation {
        try await compute.rest.json("DELETE", url(name), query: [("requestId", requestId.value)])
    }

    /// POSTs to a custom verb (`…/NAME/VERB`) and decodes the answer.
    func action<Response: Decodable>(_ name: String, _ verb: String, body: (any Encodable)? = nil,
                                     requestId: RequestID? = nil) async throws -> Response {
        let query = requestId.map { [("requestId", $0.value)] } ?? []
        return try await compute.rest.json("POST", url(name, verb), query: query, body: body ?? EmptyBody())
    }
}

extension ComputeCollection where Resource: PatchableResource {
    /// Changes a resource with a JSON merge patch: fields left nil are untouched, arrays replaced.
    public func patch(_ name: String, _ changes: Resource, requestId: RequestID = RequestID()) async throws -> ComputeOperation {
        try await compute.rest.json("PATCH", url(name), query: [("requestId", requestId.value)], body: changes)
    }
}

/// `{}`.
struct EmptyBody: Codable, Sendable {}

/// Compute list filters.
public enum ComputeFilter {
    /// `(key = "value") (key2 = "value2")`: every field equal, e.g. `["family": "app", "labels.release": "r1"]`.
    public static func equal(_ fields: [String: String]) -> String {
        fields.keys.sorted().map { key in
            let value = fields[key]!.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "(\(key) = \"\(value)\")"
        }.joined(separator: " ")
    }
}
