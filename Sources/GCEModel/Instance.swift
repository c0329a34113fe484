/// A VM (`zones/Z/instances`), as `instances.get` returns it.
public struct Instance: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String
    public var description: String?
    /// `PROVISIONING`, `STAGING`, `RUNNING`, `STOPPING`, `TERMINATED`, ...
    public var status: String?
    public var statusMessage: String?
    public var machineType: String?
    public var zone: String?
    public var networkInterfaces: [NetworkInterface]?
    public var disks: [AttachedDisk]?
    public var metadata: Metadata?
    public var labels: [String: String]?
    public var creationTimestamp: String?
    public var lastStartTimestamp: String?
    public var selfLink: String?

    public init(name: String) { self.name = name }
}

/// One page of a serial console (`instances.getSerialPortOutput`); ask for the next one with
/// `start = next`. If `start` is larger than asked for, older output was discarded.
public struct SerialPortOutput: Codable, Sendable, Equatable {
    public var contents: String?
    public var start: Int64String?
    public var next: Int64String?
    public var selfLink: String?

    public init(contents: String? = nil, start: Int64String? = nil, next: Int64String? = nil) {
        self.contents = contents
        self.start = start
        self.next = next
    }
}
