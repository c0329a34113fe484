/// `GET projects/P/aggregated/instanceGroupManagers`: every managed instance group of a project,
/// keyed by scope (`zones/Z`, `regions/R`) as GCE answers, each scope with its list under the
/// collection's name or, when it has none, GCE's `NO_RESULTS_ON_PAGE` warning. Filter applies
/// per item; no paging (a project here has few groups). Served by v1 only, so a group shows as
/// v1 shows it (`GroupService.v1View`: no beta-only `updatePolicy.minReadySec`).
extension ComputeService {
    func aggregatedGroups(_ request: APIRequest, project: String) throws -> APIResponse {
        var byScope: [String: [JSONValue]] = [:]
        for zone in configuration.zones { byScope["zones/\(zone)"] = [] }
        for region in configuration.regions { byScope["regions/\(region)"] = [] }
        for (collection, group) in try store.listAll(like: "projects/\(project)/%/instanceGroupManagers") {
            let parts = collection.split(separator: "/").map(String.init)
            guard parts.count == 5 else { continue }
            if let filter = request.query["filter"], !filter.isEmpty, !ListFilter(filter).matches(group) { continue }
            byScope["\(parts[2])/\(parts[3])", default: []].append(GroupService.v1View(group))
        }
        var items: [String: JSONValue] = [:]
        for (scope, groups) in byScope {
            items[scope] = groups.isEmpty
                ? ["warning": ["code": "NO_RESULTS_ON_PAGE", "message": .string("There are no results for scope '\(scope)' on this page."),
                               "data": [["key": "scope", "value": .string(scope)]]]]
                : ["instanceGroupManagers": .array(groups)]
        }
        return APIResponse(json: ["kind": "compute#instanceGroupManagerAggregatedList",
                                  "id": .string("projects/\(project)/aggregated/instanceGroupManagers"),
                                  "selfLink": .string("\(base(project))/aggregated/instanceGroupManagers"),
                                  "items": .object(items)])
    }
}
