import Foundation

/// Compute Engine operations: every mutation returns one; long work (image import, starting a
/// VM) finishes it later. `requestId` makes a retried mutation return the first operation.
struct Operations {
    let store: Store
    let baseURL: String
    /// Wakes `wait` when an operation finishes.
    let signals = OperationSignals()

    /// `global`, `zones/Z` or `regions/R` → the operations collection of that scope.
    static func collection(project: String, scope: String) -> String { "projects/\(project)/\(scope)/operations" }

    /// A new operation for `type` on `targetLink`, stored before the work starts.
    func begin(project: String, scope: String, type: String, targetLink: String, targetId: String?,
               requestId: String?, done: Bool = false) throws -> (collection: String, body: JSONValue) {
        let name = Identifiers.operationName()
        let now = Identifiers.timestamp()
        var op: JSONValue = [
            "kind": "compute#operation", "id": .string(Identifiers.newID()), "name": .string(name),
            "operationType": .string(type), "targetLink": .string(targetLink), "status": .string((done ? OperationStatus.done : .running).rawValue),
            "user": "sortie@localhost", "progress": .number(done ? 100 : 0), "insertTime": .string(now),
            "startTime": .string(now), "selfLink": .string("\(baseURL)/compute/v1/projects/\(project)/\(scope)/operations/\(name)"),
        ]
        if done { op["endTime"] = .string(now) }
        if let targetId { op["targetId"] = .string(targetId) }
        if let requestId { op["clientOperationId"] = .string(requestId) }
        if scope.hasPrefix("zones/") { op["zone"] = .string("\(baseURL)/compute/v1/projects/\(project)/\(scope)") }
        if scope.hasPrefix("regions/") { op["region"] = .string("\(baseURL)/compute/v1/projects/\(project)/\(scope)") }
        let collection = Self.collection(project: project, scope: scope)
        try store.insert(collection, name, op)
        if let requestId { try store.remember(requestId: requestId, project: project, operation: "\(collection)/\(name)") }
        return (collection, op)
    }

    /// The operation a previous request with the same `requestId` created, if any.
    func existing(requestId: String?, project: String) throws -> JSONValue? {
        guard let requestId else { return nil }
        guard let ref = try store.operation(forRequest: requestId, project: project),
              let slash = ref.lastIndex(of: "/") else { return nil }
        return try store.get(String(ref[..<slash]), String(ref[ref.index(after: slash)...]))
    }

    /// Marks an operation DONE, with an error if the work failed.
    func finish(_ collection: String, _ name: String, error: APIError? = nil, targetId: String? = nil) {
        defer { signals.signal("\(collection)/\(name)") }
        _ = try? store.mutate(collection, name) { op in
            op["status"] = .string(OperationStatus.done.rawValue)
            op["progress"] = 100
            op["endTime"] = .string(Identifiers.timestamp())
            if let targetId { op["targetId"] = .string(targetId) }
            if let error {
                op["error"] = ["errors": [["code": .string(Self.code(for: error)), "message": .string(error.message)]]]
                op["httpErrorStatusCode"] = .number(Double(error.status))
                op["httpErrorMessage"] = .string(Self.httpMessage(error.status))
            }
        }
    }

    static func code(for error: APIError) -> String {
        switch error.reason {
        case "notFound": return "RESOURCE_NOT_FOUND"
        case "alreadyExists": return "RESOURCE_ALREADY_EXISTS"
        case "quotaExceeded": return "QUOTA_EXCEEDED"
        case "resourceInUseByAnotherResource": return "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE"
        case "invalid", "required", "badRequest": return "INVALID_FIELD_VALUE"
        default: return error.reason.uppercased()
        }
    }

    static func httpMessage(_ status: Int) -> String {
        switch status {
        case 400: return "BAD REQUEST"
        case 403: return "FORBIDDEN"
        case 404: return "NOT FOUND"
        case 409: return "CONFLICT"
        default: return "INTERNAL SERVER ERROR"
        }
    }

    /// Waits until the operation is DONE or `seconds` pass, then returns it (as `operations.wait`).
    /// Woken by `finish`, not by polling.
    func wait(_ collection: String, _ name: String, seconds: Double) async throws -> JSONValue {
        let token = signals.register("\(collection)/\(name)")
        defer { signals.unregister(token) }
        guard let op = try store.get(collection, name) else { throw APIError.notFound("\(collection)/\(name)") }
        if op.isDoneOperation { return op }
        let signals = self.signals
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await signals.wait(token) }
            group.addTask { try? await Task.sleep(for: .seconds(seconds)) }
            await group.next()
            group.cancelAll()
        }
        try Task.checkCancellation()
        guard let latest = try store.get(collection, name) else { throw APIError.notFound("\(collection)/\(name)") }
        return latest
    }
}
