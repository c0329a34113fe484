/// The Compute Engine beta API, only where Sortie needs it: a managed instance group's
/// `updatePolicy.minReadySec` (GET and PATCH of zonal and regional `instanceGroupManagers`).
/// GCE has the field in beta only (discovery revision 20261106): v1 refuses it as an unknown field
/// and v1 responses do not show it (`GroupService.v1View`). Everything else of a beta PATCH is
/// handled as the v1 PATCH it is.
extension ComputeService {
    func handleBeta(_ request: APIRequest, project: String, rest: [String]) async throws -> APIResponse {
        guard rest.count == 4, ["zones", "regions"].contains(rest[0]), rest[2] == "instanceGroupManagers",
              ["GET", "PATCH"].contains(request.method) else {
            throw APIError(404, "notFound", "sortie serve implements the Compute Engine beta API only for instanceGroupManagers get and patch (updatePolicy.minReadySec); use /compute/v1 for \(request.path)")
        }
        let known = rest[0] == "zones" ? configuration.zones : configuration.regions
        guard known.contains(rest[1]) else { throw APIError.notFound("projects/\(project)/\(rest[0])/\(rest[1])") }
        let scope = "\(rest[0])/\(rest[1])", name = rest[3]
        let path = "projects/\(project)/\(scope)/instanceGroupManagers"
        if request.method == "GET" {
            guard let group = try store.get(path, name) else { throw APIError.notFound("\(path)/\(name)") }
            return APIResponse(json: group)
        }
        var patch = try request.json()
        var minReadySec: JSONValue?
        if var policy = patch["updatePolicy"], let value = policy["minReadySec"] {
            guard let seconds = value.number, seconds == seconds.rounded(), (0...3600).contains(seconds) else {
                throw APIError.invalid("Invalid value for field 'resource.updatePolicy.minReadySec': '\(value)'. Must be from range [0, 3600].")
            }
            minReadySec = value
            policy["minReadySec"] = nil
            patch["updatePolicy"] = policy
        }
        var v1 = request
        v1.body = patch.data
        let response = try await groups.handle(v1, project: project, scope: scope, name: name, verb: nil)
        if let minReadySec {
            _ = try store.mutate(path, name) { group in
                var policy = group["updatePolicy"] ?? [:]
                policy["minReadySec"] = minReadySec
                group["updatePolicy"] = policy
            }
        }
        return response
    }
}
