/// The lifecycle states of a Compute Engine instance that the plane uses (GCE's
/// `Instance.status`), as stored in the instance's JSON.
enum ComputeInstanceStatus: String, Sendable {
    case provisioning = "PROVISIONING"
    case staging = "STAGING"
    case running = "RUNNING"
    case stopping = "STOPPING"
    case terminated = "TERMINATED"
}

/// The instance methods `POST …/instances/NAME/ACTION` that change a VM's power state.
enum InstanceAction: String, Sendable, CaseIterable {
    case stop, start, reset
}

extension JSONValue {
    /// An instance resource's `status`, if it is one the plane knows.
    var instanceStatus: ComputeInstanceStatus? { self["status"]?.string.flatMap(ComputeInstanceStatus.init(rawValue:)) }
}

/// A Compute Engine operation's `status` (GCE also has PENDING; the plane starts work at once).
enum OperationStatus: String, Sendable {
    case running = "RUNNING"
    case done = "DONE"
}

extension JSONValue {
    /// True for an operation whose `status` is DONE.
    var isDoneOperation: Bool { self["status"]?.string == OperationStatus.done.rawValue }
}
