import GCEModel

extension ComputeCollection where Resource == Image {
    /// The newest image of `family` that is not deprecated.
    public func getFromFamily(_ family: String) async throws -> Image {
        try await compute.rest.json("GET", url + "/family/" + PathEncoding.segment(family))
    }

    /// Sets an image's deprecation state; `DeprecationStatus()` (no state) clears it.
    public func deprecate(_ name: String, _ status: DeprecationStatus, requestId: RequestID = RequestID()) async throws -> ComputeOperation {
        try await action(name, "deprecate", body: status, requestId: requestId)
    }
}

extension ComputeCollection where Resource == BackendService {
    /// Each instance of `group` (an instance-group URL) as this service's health checks see it.
    public func getHealth(_ name: String, group: String) async throws -> BackendServiceGroupHealth {
        try await action(name, "getHealth", body: ResourceGroupReference(group: group))
    }
}

extension ComputeCollection where Resource == InstanceGroupManager {
    /// The group's instances with their status, current action, version and health.
    public func listManagedInstances(_ name: String) async throws -> [ManagedInstance] {
        var items: [ManagedInstance] = []
        var pageToken: String?
        repeat {
            var query: [(String, String)] = []
            if let pageToken { query.append(("pageToken", pageToken)) }
            let page: ManagedInstanceList = try await compute.rest.json("POST", url(name, "listManagedInstances"), query: query,
                                                                         body: EmptyBody())
            items += page.managedInstances ?? []
            pageToken = page.nextPageToken.flatMap { $0.isEmpty ? nil : $0 }
        } while pageToken != nil
        return items
    }
}

extension ComputeCollection where Resource == Instance {
    /// Serial console output from byte `start` (nil: the oldest still kept); read on with
    /// `start = output.next`.
    public func serialPortOutput(_ name: String, port: Int = 1, start: Int64? = nil) async throws -> SerialPortOutput {
        var query = [("port", String(port))]
        if let start { query.append(("start", String(start))) }
        return try await compute.rest.json("GET", url(name, "serialPort"), query: query)
    }
}

/// `{"group": URL}`: the body of `backendServices.getHealth`.
struct ResourceGroupReference: Encodable {
    var group: String
}

extension ComputeCollection where Resource == Autoscaler {
    /// Changes an autoscaler with a JSON merge patch. GCE names it in the query
    /// (`PATCH …/autoscalers?autoscaler=NAME`), not in the path as other collections do.
    public func patch(autoscaler name: String, _ changes: Autoscaler, requestId: RequestID = RequestID()) async throws -> ComputeOperation {
        try await compute.rest.json("PATCH", url, query: [("autoscaler", name), ("requestId", requestId.value)], body: changes)
    }
}

extension ComputeCollection where Resource == InstanceGroupManager {
    /// Sets a group's target size (`POST …/resize?size=N`): the MIG creates or deletes instances.
    public func resize(_ name: String, size: Int, requestId: RequestID = RequestID()) async throws -> ComputeOperation {
        try await compute.rest.json("POST", url(name, "resize"), query: [("size", String(size)), ("requestId", requestId.value)],
                                    body: EmptyBody())
    }
}

extension ComputeClient {
    /// `regions.get`: a region and its zones.
    public func region(_ name: String) async throws -> Region {
        try await rest.json("GET", url("regions/" + PathEncoding.segment(name)))
    }

    /// Every managed instance group of the project, in every zone and region (`aggregated/instanceGroupManagers`).
    public func allInstanceGroupManagers() async throws -> [InstanceGroupManager] {
        var groups: [InstanceGroupManager] = []
        var pageToken: String?
        repeat {
            var query: [(String, String)] = []
            if let pageToken { query.append(("pageToken", pageToken)) }
            let page: AggregatedList<InstanceGroupManager> = try await rest.json("GET", url("aggregated/instanceGroupManagers"), query: query)
            for scope in (page.items ?? [:]).keys.sorted() { groups += page.items?[scope]?.resources ?? [] }
            pageToken = page.nextPageToken.flatMap { $0.isEmpty ? nil : $0 }
        } while pageToken != nil
        return groups
    }

    /// A partial reference (`projects/P/global/instanceTemplates/N`), which GCE accepts wherever a
    /// resource names another and which does not depend on the API's host.
    public func reference<Resource: ComputeResource>(_ type: Resource.Type, _ name: String, in scope: ComputeScope = .global) -> String {
        "projects/\(target.project)/\(scope.path)/\(Resource.collection)/\(name)"
    }
}

/// A managed instance group's update policy as the beta API has it (`minReadySec` is beta only).
struct BetaUpdatePolicyGroup: Codable, Sendable {
    struct Policy: Codable, Sendable { var minReadySec: Int? }
    var updatePolicy: Policy?
}

extension ComputeCollection where Resource == InstanceGroupManager {
    /// The group's URL in the beta API (`…/compute/beta/projects/…`).
    func betaURL(_ name: String) -> String {
        url(name).replacingOccurrences(of: "/compute/v1/projects/", with: "/compute/beta/projects/")
    }

    /// `updatePolicy.minReadySec` of a group (beta API): seconds a new instance must have been
    /// available before a rolling update counts it; nil when unset.
    public func minReadySec(_ name: String) async throws -> Int? {
        let group: BetaUpdatePolicyGroup = try await compute.rest.json("GET", betaURL(name))
        return group.updatePolicy?.minReadySec
    }

    /// Sets `updatePolicy.minReadySec` with a PATCH of the beta API (v1 has no such field).
    public func setMinReadySec(_ name: String, _ seconds: Int, requestId: RequestID = RequestID()) async throws -> ComputeOperation {
        try await compute.rest.json("PATCH", betaURL(name), query: [("requestId", requestId.value)],
                                    body: BetaUpdatePolicyGroup(updatePolicy: .init(minReadySec: seconds)))
    }
}
