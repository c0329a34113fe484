import Deploy
import GCEModel

/// One instance in a summary or `sortie status`.
public struct InstanceRow: Sendable, Codable, Equatable {
    public var name: String
    public var zone: String?
    public var release: String
    public var status: String
    public var action: String
    public var health: String

    public init(_ instance: ManagedInstance, names: ResourceNames) {
        name = RolloutProgress.shortName(instance)
        let parts = (instance.instance ?? "").split(separator: "/")
        zone = parts.firstIndex(of: "zones").flatMap { $0 + 1 < parts.count ? String(parts[$0 + 1]) : nil }
        let template = RolloutProgress.templateName(instance) ?? "?"
        release = names.release(ofResource: template) ?? template
        status = instance.instanceStatus ?? "?"
        action = instance.currentAction ?? "NONE"
        health = RolloutProgress.health(instance)
    }
}

/// What a deploy did: printed as the closing summary, or as JSON with `--json`.
public struct DeploySummary: Sendable, Codable, Equatable {
    public var app: String
    public var target: String
    public var release: String
    public var image: String
    public var template: String
    /// The release the group ran before (nil on a first deploy or when it already ran this one).
    public var previousRelease: String?
    /// `deployed`, `already deployed` or `planned`.
    public var outcome: String
    /// `sortie deploy --plan`'s lines.
    public var plan: [String]
    public var steps: [StepTiming]
    public var instances: [InstanceRow]
    /// The load balancer's `IP:port`.
    public var address: String?
    public var totalSeconds: Double
}
