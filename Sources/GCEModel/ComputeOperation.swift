/// A Compute Engine operation: what every mutation returns. DONE does not mean success: a failed
/// operation is DONE with `error` set.
public struct ComputeOperation: Codable, Sendable, Equatable {
    public var kind: String?
    public var id: String?
    public var name: String
    public var operationType: String?
    public var targetLink: String?
    public var targetId: String?
    /// `PENDING`, `RUNNING` or `DONE`.
    public var status: String?
    public var statusMessage: String?
    public var progress: Int?
    public var insertTime: String?
    public var startTime: String?
    public var endTime: String?
    public var selfLink: String?
    /// The zone's URL, for a zonal operation.
    public var zone: String?
    /// The region's URL, for a regional operation.
    public var region: String?
    /// The `requestId` of the request that created this operation.
    public var clientOperationId: String?
    public var httpErrorStatusCode: Int?
    public var httpErrorMessage: String?
    public var error: OperationErrors?
    public var warnings: [OperationWarning]?

    public init(name: String, status: String? = nil) {
        self.name = name
        self.status = status
    }

    /// Whether the operation has finished (successfully or not).
    public var isDone: Bool { status == "DONE" }
}

/// `ComputeOperation.error`: why an operation failed.
public struct OperationErrors: Codable, Sendable, Equatable {
    public var errors: [OperationErrorItem]

    public init(errors: [OperationErrorItem]) { self.errors = errors }
}

/// One failure of an operation, e.g. code `QUOTA_EXCEEDED` or `RESOURCE_NOT_FOUND`.
public struct OperationErrorItem: Codable, Sendable, Equatable {
    public var code: String?
    public var message: String?
    public var location: String?

    public init(code: String? = nil, message: String? = nil, location: String? = nil) {
        self.code = code
        self.message = message
        self.location = location
    }
}

/// A warning attached to a successful operation, e.g. `DEPRECATED_RESOURCE_USED`.
public struct OperationWarning: Codable, Sendable, Equatable {
    public var code: String?
    public var message: String?

    public init(code: String? = nil, message: String? = nil) {
        self.code = code
        self.message = message
    }
}
