/// `service.instances`: how many instances the group has.
public struct InstanceCount: Sendable, Equatable {
    /// `min`: the group's size without autoscaling, the autoscaler's floor with it; 1–1000, default 1.
    public var min: Int
    /// `max`: the autoscaler's ceiling; default `min`. Greater than `min` only with `autoscale`.
    public var max: Int

    public init(min: Int = 1, max: Int? = nil) {
        self.min = min
        self.max = max ?? min
    }
}

/// `service.autoscale`: CPU-based autoscaling between `instances.min` and `instances.max`.
public struct AutoscaleSettings: Sendable, Equatable {
    /// `cpu`: the target CPU utilization, above 0 and at most 1; default 0.6 (GCE's).
    public var cpuTarget: Double
    /// `cooldown`: seconds a new instance runs before its CPU counts, 0–3600; default 60 (GCE's).
    public var cooldownSeconds: Int

    public init(cpuTarget: Double = 0.6, cooldownSeconds: Int = 60) {
        self.cpuTarget = cpuTarget
        self.cooldownSeconds = cooldownSeconds
    }
}

extension InstanceCount {
    init(_ node: ConfigNode, autoscale: ConfigNode) throws {
        let map = try node.mapping(["min", "max"])
        self.init(min: try map["min"].optional { try $0.int(1...1000) } ?? 1,
                  max: try map["max"].optional { try $0.int(1...1000) })
        if max < min {
            throw map["max"].error("\(max) is less than min (\(min))")
        }
        if max > min, !autoscale.isPresent {
            throw map["max"].error("\(max) is more than min (\(min)), but there is no service.autoscale: without autoscaling the group always has min instances",
                                   hint: "add autoscale: { cpu: 0.6 }, or remove max")
        }
        if min == max, autoscale.isPresent {
            throw autoscale.error("needs instances.max greater than instances.min (both are \(min))",
                                  hint: "set instances: { min: \(min), max: \(min * 2 + 1) } or remove autoscale")
        }
    }
}

extension AutoscaleSettings {
    init(_ node: ConfigNode) throws {
        let map = try node.mapping(["cpu", "cooldown"])
        self.init(cpuTarget: try map["cpu"].optional { try $0.double(above: 0, upTo: 1) } ?? 0.6,
                  cooldownSeconds: try map["cooldown"].optional { try $0.seconds(0...3600) } ?? 60)
    }
}
