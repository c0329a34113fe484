/// `service:` how the deployed kernel serves: its port, health check, group size, autoscaling,
/// rollout policy and instance metadata.
public struct ServiceSettings: Sendable, Equatable {
    /// `port`: the TCP port the kernel serves HTTP on (the group's named port `http`). Required.
    public var port: Int
    public var health: HealthSettings
    public var instances: InstanceCount
    /// nil: a fixed-size group of `instances.min`.
    public var autoscale: AutoscaleSettings?
    public var rollout: RolloutSettings
    /// `metadata`: instance metadata items (GCE keys: letters, digits, `-`, `_`, up to 128).
    /// Values taken from the environment stay secret.
    public var metadata: [String: ConfigString]

    public init(port: Int, health: HealthSettings = HealthSettings(), instances: InstanceCount = InstanceCount(),
                autoscale: AutoscaleSettings? = nil, rollout: RolloutSettings = RolloutSettings(), metadata: [String: ConfigString] = [:]) {
        self.port = port
        self.health = health
        self.instances = instances
        self.autoscale = autoscale
        self.rollout = rollout
        self.metadata = metadata
    }

    static let keys = ["port", "health", "instances", "autoscale", "rollout", "metadata"]

    init(_ node: ConfigNode) throws {
        let map = try node.required("how the kernel serves, at least service: { port: 8080 }") { try $0.mapping(Self.keys) }
        port = try map["port"].required("the TCP port the kernel serves HTTP on, e.g. port: 8080") { try $0.int(1...65535) }
        health = try HealthSettings(map["health"])
        instances = try InstanceCount(map["instances"], autoscale: map["autoscale"])
        autoscale = try map["autoscale"].optional { try AutoscaleSettings($0) }
        rollout = try RolloutSettings(map["rollout"], instances: instances)
        metadata = [:]
        for entry in try map["metadata"].anyMapping(expecting: "a mapping of metadata keys to values").entries {
            guard NamePattern.metadataKey.matches(entry.name) else {
                throw entry.node.error("is not a GCE metadata key (letters, digits, - and _, at most 128)")
            }
            metadata[entry.name] = try entry.node.optional { try $0.string() } ?? ""
        }
    }
}
