import DeployConfig
import GCEModel
import Rollout

/// What the one-time setup of a target should look like for a configuration: the health check,
/// the firewall rule, the group (without its versions: those are the rollout's), the autoscaler,
/// and the load balancer chain. Pure: built from `sortie.yml` alone.
public struct DesiredSetup: Sendable, Equatable {
    public var names: ResourceNames
    public var healthCheck: HealthCheck
    public var firewall: Firewall
    public var group: InstanceGroupManager
    public var autoscaler: GCEModel.Autoscaler?
    public var backendService: BackendService
    public var urlMap: UrlMap
    public var httpProxy: TargetHttpProxy
    public var forwardingRule: ForwardingRule

    /// The group's `updatePolicy.minReadySec` (GCE beta API): how long a new instance must have
    /// been healthy for the group's check before the update removes an old one. The load balancer
    /// judges instances with its own probes, which reach the same verdict up to one interval
    /// later, and GCE then needs a few seconds to program it: without this wait an update can
    /// remove the last instance the load balancer serves from. One more interval than the healthy
    /// threshold, plus 1 s on the local plane (one pass of its balancer) or 10 s on Google Cloud,
    /// unless `service.rollout.min-ready` says otherwise.
    public var minReadySec: Int

    /// Why the rollout policy cannot work for this target (a regional group's fixed surge or
    /// unavailability below its zone count), or nil.
    public var rolloutProblem: String?

    /// The source ranges of Google's health checkers and of its external load balancers' proxies.
    public static let healthCheckRanges = ["35.191.0.0/16", "130.211.0.0/22"]

    /// `zones`: for a regional target, the zones its group spreads over (the existing group's
    /// `distributionPolicy`, or the region's zones for a new one); the update policy follows
    /// GCE's rule for that many zones. Ignored for a zonal target.
    public init(configuration: DeployConfiguration, target: Target, listenPort: Int = 80, zones: [String] = []) {
        let names = ResourceNames(app: configuration.app)
        let service = configuration.service
        let health = service.health
        self.names = names
        healthCheck = HealthCheck(name: names.healthCheck,
                                  http: .init(port: service.port, requestPath: health.path.value),
                                  checkIntervalSec: health.intervalSeconds, timeoutSec: health.timeoutSeconds,
                                  healthyThreshold: health.healthyThreshold, unhealthyThreshold: health.unhealthyThreshold)
        firewall = Firewall(name: names.firewall, network: "global/networks/\(target.network.value)",
                            sourceRanges: Self.healthCheckRanges, targetTags: [names.networkTag],
                            allowed: [.init(ipProtocol: "tcp", ports: [String(service.port)])])
        var group = InstanceGroupManager()
        group.name = names.group
        group.baseInstanceName = names.baseInstanceName
        group.targetSize = service.instances.min
        group.namedPorts = [NamedPort(name: names.portName, port: service.port)]
        group.autoHealingPolicies = [.init(healthCheck: "global/healthChecks/\(names.healthCheck)",
                                           initialDelaySec: health.initialDelaySeconds)]
        let regionalZones: [String]
        if case .region = target.location { regionalZones = zones } else { regionalZones = [] }
        let policy = service.rollout.forZones(regionalZones.count)
        group.updatePolicy = .init(maxSurge: Self.model(policy.maxSurge), maxUnavailable: Self.model(policy.maxUnavailable))
        if !regionalZones.isEmpty {
            group.distributionPolicy = .init(zones: regionalZones.map { "zones/\($0)" })
        }
        rolloutProblem = policy.problem
        minReadySec = service.rollout.minReadySeconds
            ?? health.intervalSeconds * (health.healthyThreshold + 1) + (target.isLocalPlane ? 1 : 10)
        self.group = group
        autoscaler = service.autoscale.map { scale in
            GCEModel.Autoscaler(name: names.autoscaler, target: Self.groupPath(names.group, target: target),
                       autoscalingPolicy: .init(minNumReplicas: service.instances.min, maxNumReplicas: service.instances.max,
                                                coolDownPeriodSec: scale.cooldownSeconds,
                                                cpuUtilization: .init(utilizationTarget: scale.cpuTarget), mode: "ON"))
        }
        backendService = BackendService(name: names.backendService, portName: names.portName,
                                        healthChecks: ["global/healthChecks/\(names.healthCheck)"],
                                        backends: [.init(group: Self.instanceGroupPath(names.group, target: target))],
                                        timeoutSec: 30, drainingTimeoutSec: service.rollout.drainSeconds)
        urlMap = UrlMap(name: names.urlMap, defaultService: "global/backendServices/\(names.backendService)")
        httpProxy = TargetHttpProxy(name: names.httpProxy, urlMap: "global/urlMaps/\(names.urlMap)")
        forwardingRule = ForwardingRule(name: names.forwardingRule, target: "global/targetHttpProxies/\(names.httpProxy)",
                                        portRange: Self.portRange(listenPort),
                                        ipAddress: target.isLocalPlane ? "127.0.0.1" : nil)
    }

    /// A port as GCE stores a forwarding rule's `portRange`: `"80-80"`, never `"80"`.
    public static func portRange(_ port: Int) -> String { "\(port)-\(port)" }

    /// A `portRange` in GCE's form: `"80"` becomes `"80-80"`; a range stays as it is.
    public static func normalisedPortRange(_ range: String?) -> String? {
        guard let range, !range.contains("-"), let port = Int(range) else { return range }
        return portRange(port)
    }

    static func model(_ value: Rollout.FixedOrPercent) -> GCEModel.FixedOrPercent {
        switch value {
        case .fixed(let n): GCEModel.FixedOrPercent(fixed: n)
        case .percent(let p): GCEModel.FixedOrPercent(percent: p)
        }
    }

    static func scopePath(_ target: Target) -> String {
        switch target.location {
        case .zone(let zone): "zones/\(zone.value)"
        case .region(let region): "regions/\(region.value)"
        }
    }

    static func groupPath(_ group: String, target: Target) -> String {
        "projects/\(target.project.value)/\(scopePath(target))/instanceGroupManagers/\(group)"
    }

    static func instanceGroupPath(_ group: String, target: Target) -> String {
        "projects/\(target.project.value)/\(scopePath(target))/instanceGroups/\(group)"
    }
}
