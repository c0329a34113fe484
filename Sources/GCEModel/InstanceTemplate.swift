/// An immutable instance template (`global/instanceTemplates`): the VM a group creates.
public struct InstanceTemplate: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String
    public var description: String?
    public var properties: InstanceProperties?
    public var creationTimestamp: String?
    public var selfLink: String?

    public init(name: String, description: String? = nil, properties: InstanceProperties) {
        self.name = name
        self.description = description
        self.properties = properties
    }
}

/// `InstanceTemplate.properties`.
public struct InstanceProperties: Codable, Sendable, Equatable {
    /// A bare machine-type name in templates, e.g. `e2-small`.
    public var machineType: String?
    public var description: String?
    public var disks: [AttachedDisk]?
    public var networkInterfaces: [NetworkInterface]?
    public var metadata: Metadata?
    public var tags: Tags?
    public var labels: [String: String]?
    public var scheduling: Scheduling?
    public var serviceAccounts: [ServiceAccount]?

    public init(machineType: String? = nil, disks: [AttachedDisk]? = nil, networkInterfaces: [NetworkInterface]? = nil,
                metadata: Metadata? = nil, tags: Tags? = nil, labels: [String: String]? = nil) {
        self.machineType = machineType
        self.disks = disks
        self.networkInterfaces = networkInterfaces
        self.metadata = metadata
        self.tags = tags
        self.labels = labels
    }
}

/// A disk of an instance or template; the boot disk has `boot` and `initializeParams.sourceImage`.
public struct AttachedDisk: Codable, Sendable, Equatable {
    public var boot: Bool?
    public var autoDelete: Bool?
    /// `PERSISTENT` or `SCRATCH`.
    public var type: String?
    public var mode: String?
    public var deviceName: String?
    public var initializeParams: InitializeParams?

    public init(boot: Bool? = nil, autoDelete: Bool? = nil, type: String? = nil, initializeParams: InitializeParams? = nil) {
        self.boot = boot
        self.autoDelete = autoDelete
        self.type = type
        self.initializeParams = initializeParams
    }

    /// Boot disk from an image: `AttachedDisk(bootFrom: "projects/P/global/images/NAME")`.
    public init(bootFrom sourceImage: String) {
        self.init(boot: true, autoDelete: true, type: "PERSISTENT", initializeParams: InitializeParams(sourceImage: sourceImage))
    }

    /// `AttachedDisk.initializeParams`.
    public struct InitializeParams: Codable, Sendable, Equatable {
        public var sourceImage: String?
        public var diskSizeGb: Int64String?
        public var diskType: String?
        public var diskName: String?

        public init(sourceImage: String? = nil, diskSizeGb: Int64String? = nil, diskType: String? = nil) {
            self.sourceImage = sourceImage
            self.diskSizeGb = diskSizeGb
            self.diskType = diskType
        }
    }
}

/// A network interface; `accessConfigs` with one `ONE_TO_ONE_NAT` gives an external address.
public struct NetworkInterface: Codable, Sendable, Equatable {
    public var network: String?
    public var subnetwork: String?
    /// The internal address (output).
    public var networkIP: String?
    public var accessConfigs: [AccessConfig]?
    public var nicType: String?

    public init(network: String? = "global/networks/default", accessConfigs: [AccessConfig]? = nil) {
        self.network = network
        self.accessConfigs = accessConfigs
    }

    /// `NetworkInterface.accessConfigs[]`.
    public struct AccessConfig: Codable, Sendable, Equatable {
        public var type: String?
        public var name: String?
        /// The external address (output).
        public var natIP: String?
        public var networkTier: String?

        public init(type: String? = "ONE_TO_ONE_NAT", name: String? = "External NAT") {
            self.type = type
            self.name = name
        }
    }
}

/// Instance metadata: `{"items": [{"key": ..., "value": ...}]}`.
public struct Metadata: Codable, Sendable, Equatable {
    public var items: [Item]?
    public var fingerprint: String?

    public init(items: [Item]? = nil) { self.items = items }

    /// Metadata from a dictionary, in key order.
    public init(_ values: [String: String]) {
        items = values.keys.sorted().map { Item(key: $0, value: values[$0]) }
    }

    /// One metadata entry.
    public struct Item: Codable, Sendable, Equatable {
        public var key: String
        public var value: String?

        public init(key: String, value: String?) {
            self.key = key
            self.value = value
        }
    }
}

/// Network tags (firewall `targetTags`).
public struct Tags: Codable, Sendable, Equatable {
    public var items: [String]?
    public var fingerprint: String?

    public init(items: [String]) { self.items = items }
}

/// `InstanceProperties.scheduling`.
public struct Scheduling: Codable, Sendable, Equatable {
    public var automaticRestart: Bool?
    public var onHostMaintenance: String?
    public var preemptible: Bool?

    public init(automaticRestart: Bool? = nil, onHostMaintenance: String? = nil, preemptible: Bool? = nil) {
        self.automaticRestart = automaticRestart
        self.onHostMaintenance = onHostMaintenance
        self.preemptible = preemptible
    }
}

/// A service account and its scopes, for guests that call Google APIs.
public struct ServiceAccount: Codable, Sendable, Equatable {
    public var email: String
    public var scopes: [String]?

    public init(email: String, scopes: [String]? = nil) {
        self.email = email
        self.scopes = scopes
    }
}
