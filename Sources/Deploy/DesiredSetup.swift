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

    /// The source ranges of Google's health checkers and of its external load balancers' proxies.
    public static let healthCheckRanges = ["35.191.0.0/16", "130.211.0.0/22"]

    public init(configuration: DeployConfiguration, target: Target, listenPort: Int = 80) {
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
        group.updatePolicy = .init(maxSurge: Self.model(service.rollout.maxSurge),
                                   maxUnavailable: Self.model(service.rollout.maxUnavailable))
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
                                        timeoutSec: 30, drainingTimeoutSec: 30)
        urlMap = UrlMap(name: names.urlMap, defaultService: "global/backendServices/\(names.backendService)")
        httpProxy = TargetHttpProxy(name: names.httpProxy, urlMap: "global/urlMaps/\(names.urlMap)")
        forwardingRule = ForwardingRule(name: names.forwardingRule, target: "global/targetHttpProxies/\(names.httpProxy)",
                                        portRange: String(listenPort),
                                        ipAddress: target.isLocalPlane ? "127.0.0.1" : nil)
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
