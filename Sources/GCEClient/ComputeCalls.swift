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
