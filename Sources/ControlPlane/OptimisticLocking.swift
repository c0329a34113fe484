/// GCE's optimistic locking on PATCH and PUT of the load balancer chain: for backend services,
/// URL maps and target HTTP proxies the discovery document says "An up-to-date fingerprint must
/// be provided in order to update the BackendService, otherwise the request will fail with error
/// 412 conditionNotMet" (the same for UrlMap and TargetHttpProxy). Other collections check the
/// fingerprint only when the request carries one. The plane gives such a resource a new
/// fingerprint on every insert and update (`ComputeService.checkReferences`).
enum OptimisticLocking {
    /// Collections whose PATCH and PUT must carry the current fingerprint, with their schema name.
    static let fingerprintRequired = ["backendServices": "BackendService", "urlMaps": "UrlMap",
                                      "targetHttpProxies": "TargetHttpProxy"]

    /// Throws 412 `conditionNotMet` when `request` carries a fingerprint other than `current`'s,
    /// or carries none where `collection` requires one.
    static func check(_ collection: String, request: JSONValue, current: JSONValue) throws {
        guard let supplied = request["fingerprint"]?.string else {
            if let schema = fingerprintRequired[collection] {
                throw APIError(412, "conditionNotMet",
                               "An up-to-date fingerprint must be provided in order to update the \(schema) (resource.fingerprint); get the resource and send its fingerprint.")
            }
            return
        }
        if let expected = current["fingerprint"]?.string, supplied != expected {
            throw APIError(412, "conditionNotMet", "Supplied fingerprint does not match current fingerprint.")
        }
    }
}
