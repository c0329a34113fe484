/// One instance of a managed group, from `listManagedInstances`.
public struct ManagedInstance: Codable, Sendable, Equatable {
    /// The instance's URL (it may exist before the VM does).
    public var instance: String?
    public var id: String?
    /// `PROVISIONING`, `STAGING`, `RUNNING`, ... (absent if the VM does not exist).
    public var instanceStatus: String?
    /// `NONE`, `CREATING`, `RECREATING`, `DELETING`, `VERIFYING`, ...
    public var currentAction: String?
    public var version: Version?
    public var instanceHealth: [Health]?
    public var lastAttempt: LastAttempt?

    /// The version the instance is meant to run.
    public struct Version: Codable, Sendable, Equatable {
        public var instanceTemplate: String?
        public var name: String?
    }

    /// The autohealing health check's verdict: `detailedHealthState` `HEALTHY`, `UNHEALTHY`, `TIMEOUT`, `DRAINING`, `UNKNOWN`.
    public struct Health: Codable, Sendable, Equatable {
        public var healthCheck: String?
        public var detailedHealthState: String?
    }

    /// Why the last create or delete attempt failed.
    public struct LastAttempt: Codable, Sendable, Equatable {
        public var errors: OperationErrors?
    }
}

/// The answer of `listManagedInstances` (zonal and regional).
public struct ManagedInstanceList: Codable, Sendable {
    public var managedInstances: [ManagedInstance]?
    public var nextPageToken: String?
}
