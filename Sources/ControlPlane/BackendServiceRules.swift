/// What GCE checks in a backend service beyond the references existing (discovery document,
/// `BackendService` and `Backend`):
///
/// - "at most one health check can be specified for each backend service", and "Backend services
///   with instance group or zonal NEG backends must have a health check";
/// - `timeoutSec` "from 1 through 2,147,483,647 seconds";
/// - `capacityScaler`: "The valid ranges are 0.0 and [0.1,1.0] ... You cannot configure a setting
///   of 0 when there is only one backend attached to the backend service";
/// - `maxUtilization`: "The valid range is [0.0, 1.0]";
/// - `group` is a fully-qualified URL (below).
///
/// `Backend.group` (discovery document): "You must use the *fully-qualified* URL (starting with
/// https://www.googleapis.com/) to specify the instance group or NEG. Partial URLs are not
/// supported." Unlike most reference fields (`healthChecks`, `defaultService`, ...), which take
/// `projects/P/...`, `global/...` or a bare name, a group must be an `https://` URL. The plane
/// accepts the `www.googleapis.com` and `compute.googleapis.com` hosts and its own base URL (what
/// it returns in a group manager's `instanceGroup`).
enum BackendServiceRules {
    /// Checks the service-level rules above; throws 400 `invalid`.
    static func check(_ body: JSONValue) throws {
        let checks = body["healthChecks"]?.array ?? []
        let backends = body["backends"]?.array ?? []
        guard checks.count <= 1 else {
            throw APIError.invalid("Invalid value for field 'resource.healthChecks': '\(checks.compactMap(\.string).joined(separator: ", "))'. At most one health check can be specified for each backend service.")
        }
        if checks.isEmpty, !backends.isEmpty {
            throw APIError.invalid("Invalid value for field 'resource.healthChecks': ''. Backend services with instance group backends must have a health check.")
        }
        if let timeout = body["timeoutSec"]?.number, !(1...2_147_483_647).contains(timeout) {
            throw APIError.invalid("Invalid value for field 'resource.timeoutSec': '\(ResourceValidation.quoted(timeout))'. Must be from 1 through 2147483647 seconds.")
        }
        for (i, backend) in backends.enumerated() {
            if let scaler = backend["capacityScaler"]?.number {
                guard scaler == 0 || (0.1...1.0).contains(scaler) else {
                    throw APIError.invalid("Invalid value for field 'resource.backends[\(i)].capacityScaler': '\(ResourceValidation.quoted(scaler))'. The valid ranges are 0.0 and [0.1, 1.0].")
                }
                if scaler == 0, backends.count == 1 {
                    throw APIError.invalid("Invalid value for field 'resource.backends[\(i)].capacityScaler': '0'. A backend service with only one backend cannot have a capacity scaler of 0.")
                }
            }
            if let utilization = backend["maxUtilization"]?.number, !(0.0...1.0).contains(utilization) {
                throw APIError.invalid("Invalid value for field 'resource.backends[\(i)].maxUtilization': '\(ResourceValidation.quoted(utilization))'. The valid range is [0.0, 1.0].")
            }
        }
    }

    /// The URL prefixes under which a fully-qualified Compute resource URL may be written.
    static func fullURLPrefixes(planeBaseURL: String) -> [String] {
        ["https://www.googleapis.com/compute/", "https://compute.googleapis.com/compute/", planeBaseURL + "/compute/"]
    }

    /// Throws 400 `invalid` (GCE's "Invalid value for field" shape) unless `group` is a
    /// fully-qualified URL of a zonal or regional instance group.
    static func checkGroupURL(_ group: String, field: String, planeBaseURL: String) throws {
        let prefixes = fullURLPrefixes(planeBaseURL: planeBaseURL)
        guard prefixes.contains(where: { group.hasPrefix($0) }) else {
            throw APIError.invalid("Invalid value for field '\(field)': '\(group)'. You must use the fully-qualified URL (starting with https://www.googleapis.com/) to specify the instance group. Partial URLs are not supported.")
        }
        let tail = group.split(separator: "/").suffix(6)
        guard tail.count == 6, tail.first == "projects", ["zones", "regions"].contains(tail[tail.startIndex + 2]),
              tail[tail.startIndex + 4] == "instanceGroups" else {
            throw APIError.invalid("Invalid value for field '\(field)': '\(group)'. Expected the URL of an instance group: .../compute/v1/projects/PROJECT/zones/ZONE/instanceGroups/NAME.")
        }
    }
}
