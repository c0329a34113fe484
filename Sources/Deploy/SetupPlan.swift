import GCEModel

/// What a target has now of the one-time setup (nil: absent), as read from the API.
public struct ExistingSetup: Sendable, Equatable {
    public var healthCheck: HealthCheck?
    public var firewall: Firewall?
    public var group: InstanceGroupManager?
    public var autoscaler: GCEModel.Autoscaler?
    public var backendService: BackendService?
    public var urlMap: UrlMap?
    public var httpProxy: TargetHttpProxy?
    public var forwardingRule: ForwardingRule?
    /// The group's `updatePolicy.minReadySec` (read with the beta API); nil when unset.
    public var groupMinReadySec: Int?

    public init() {}
}

/// One line of `sortie deploy --plan`: a resource of the setup and what deploy will do with it.
public struct SetupStep: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case healthCheck = "health check"
        case firewall = "firewall rule"
        case group = "instance group manager"
        case autoscaler = "autoscaler"
        case backendService = "backend service"
        case urlMap = "URL map"
        case httpProxy = "target HTTP proxy"
        case forwardingRule = "forwarding rule"
    }

    public enum Action: Sendable, Equatable {
        /// Absent: create it.
        case create
        /// Present and as configured.
        case keep
        /// Present, with these fields different from `sortie.yml` (`field: now → wanted`).
        case update([String])
        /// Present, and `sortie.yml` no longer wants it (an autoscaler whose `autoscale` was removed).
        case delete
    }

    public var kind: Kind
    public var name: String
    public var action: Action

    public var description: String {
        switch action {
        case .create: "+ create \(kind.rawValue) \(name)"
        case .keep: "  keep   \(kind.rawValue) \(name)"
        case .update(let changes): "~ update \(kind.rawValue) \(name): " + changes.joined(separator: "; ")
        case .delete: "- delete \(kind.rawValue) \(name)"
        }
    }
}

/// Compares the setup `sortie.yml` wants with what exists. Steps come in dependency order (a
/// resource after those it references), which is the order deploy creates them in; an autoscaler
/// to delete comes before the group, so that the group's size is Sortie's to set again. Only the
/// fields Sortie manages are compared; the group's versions belong to the rollout, and its size to
/// the autoscaler when there is one (without one, `instances.min` is the size).
public enum SetupPlanner {
    public static func plan(_ desired: DesiredSetup, existing: ExistingSetup) -> [SetupStep] {
        var steps = [
            step(.healthCheck, desired.healthCheck.name, existing.healthCheck.map { differences(desired.healthCheck, $0) }),
            step(.firewall, desired.firewall.name, existing.firewall.map { differences(desired.firewall, $0) }),
        ]
        if desired.autoscaler == nil, let unwanted = existing.autoscaler {
            steps.append(SetupStep(kind: .autoscaler, name: unwanted.name ?? desired.names.autoscaler, action: .delete))
        }
        steps.append(step(.group, desired.group.name ?? "", existing.group.map {
            differences(desired.group, $0) + (desired.autoscaler == nil ? compare(targetSizeField, desired.group.targetSize, $0.targetSize) : [])
                + compare(minReadySecField, desired.minReadySec, existing.groupMinReadySec ?? 0)
        }))
        if let autoscaler = desired.autoscaler {
            steps.append(step(.autoscaler, autoscaler.name ?? "", existing.autoscaler.map { differences(autoscaler, $0) }))
        }
        steps += [
            step(.backendService, desired.backendService.name ?? "",
                 existing.backendService.map { differences(desired.backendService, $0) }),
            step(.urlMap, desired.urlMap.name, existing.urlMap.map { compare("defaultService", desired.urlMap.defaultService.map(lastName), $0.defaultService.map(lastName)) }),
            step(.httpProxy, desired.httpProxy.name, existing.httpProxy.map { compare("urlMap", desired.httpProxy.urlMap.map(lastName), $0.urlMap.map(lastName)) }),
            step(.forwardingRule, desired.forwardingRule.name, existing.forwardingRule.map {
                compare("portRange", DesiredSetup.normalisedPortRange(desired.forwardingRule.portRange),
                        DesiredSetup.normalisedPortRange($0.portRange))
            }),
        ]
        return steps
    }

    /// The change a fixed-size group's size makes (applied with `resize`, not a patch).
    public static let targetSizeField = "targetSize"
    /// The change of the group's `updatePolicy.minReadySec` (applied with the beta API).
    public static let minReadySecField = "updatePolicy.minReadySec"

    static func step(_ kind: SetupStep.Kind, _ name: String, _ changes: [String]?) -> SetupStep {
        guard let changes else { return SetupStep(kind: kind, name: name, action: .create) }
        return SetupStep(kind: kind, name: name, action: changes.isEmpty ? .keep : .update(changes))
    }

    static func differences(_ want: HealthCheck, _ have: HealthCheck) -> [String] {
        compare("httpHealthCheck.requestPath", want.httpHealthCheck?.requestPath, have.httpHealthCheck?.requestPath)
            + compare("httpHealthCheck.port", want.httpHealthCheck?.port, have.httpHealthCheck?.port)
            + compare("checkIntervalSec", want.checkIntervalSec, have.checkIntervalSec)
            + compare("timeoutSec", want.timeoutSec, have.timeoutSec)
            + compare("healthyThreshold", want.healthyThreshold, have.healthyThreshold)
            + compare("unhealthyThreshold", want.unhealthyThreshold, have.unhealthyThreshold)
    }

    static func differences(_ want: Firewall, _ have: Firewall) -> [String] {
        compare("sourceRanges", want.sourceRanges.map { Set($0).sorted() }, have.sourceRanges.map { Set($0).sorted() })
            + compare("targetTags", want.targetTags, have.targetTags)
            + compare("allowed", want.allowed?.map(ruleText), have.allowed?.map(ruleText))
    }

    static func differences(_ want: InstanceGroupManager, _ have: InstanceGroupManager) -> [String] {
        compare("namedPorts", want.namedPorts?.map { "\($0.name):\($0.port)" }, have.namedPorts?.map { "\($0.name):\($0.port)" })
            + compare("autoHealingPolicies", want.autoHealingPolicies?.map(healingText), have.autoHealingPolicies?.map(healingText))
            + compare("updatePolicy.maxSurge", want.updatePolicy?.maxSurge.map(text), have.updatePolicy?.maxSurge.map(text))
            + compare("updatePolicy.maxUnavailable", want.updatePolicy?.maxUnavailable.map(text),
                      have.updatePolicy?.maxUnavailable.map(text))
    }

    static func differences(_ want: GCEModel.Autoscaler, _ have: GCEModel.Autoscaler) -> [String] {
        let w = want.autoscalingPolicy, h = have.autoscalingPolicy
        return compare("minNumReplicas", w?.minNumReplicas, h?.minNumReplicas)
            + compare("maxNumReplicas", w?.maxNumReplicas, h?.maxNumReplicas)
            + compare("coolDownPeriodSec", w?.coolDownPeriodSec, h?.coolDownPeriodSec)
            + compare("cpuUtilization.utilizationTarget", w?.cpuUtilization?.utilizationTarget, h?.cpuUtilization?.utilizationTarget)
    }

    static func differences(_ want: BackendService, _ have: BackendService) -> [String] {
        compare("portName", want.portName, have.portName)
            + compare("healthChecks", want.healthChecks?.map(lastName), have.healthChecks?.map(lastName))
            + compare("backends", want.backends?.map { lastName($0.group ?? "") }, have.backends?.map { lastName($0.group ?? "") })
            + compare("timeoutSec", want.timeoutSec, have.timeoutSec)
            + compare("connectionDraining.drainingTimeoutSec", want.connectionDraining?.drainingTimeoutSec,
                      have.connectionDraining?.drainingTimeoutSec)
    }

    /// `["field: now → wanted"]` when they differ.
    static func compare<Value: Equatable>(_ field: String, _ want: Value?, _ have: Value?) -> [String] {
        guard want != have else { return [] }
        return ["\(field): \(have.map { "\($0)" } ?? "unset") → \(want.map { "\($0)" } ?? "unset")"]
    }

    static func lastName(_ reference: String) -> String { String(reference.split(separator: "/").last ?? "") }
    static func ruleText(_ rule: Firewall.Rule) -> String { "\(rule.ipProtocol.lowercased()):\((rule.ports ?? []).joined(separator: ","))" }
    static func healingText(_ policy: InstanceGroupManager.AutoHealingPolicy) -> String {
        "\(lastName(policy.healthCheck ?? "")) after \(policy.initialDelaySec ?? 0)s"
    }
    static func text(_ value: GCEModel.FixedOrPercent) -> String {
        if let percent = value.percent { return "\(percent)%" }
        return "\(value.fixed ?? 0)"
    }
}
