import GCEModel

/// The Compute Engine v1 API of one project: the collections `sortie deploy` uses and operation
/// waiting. Works the same against `compute.googleapis.com` and `sortie serve`.
public struct ComputeClient: Sendable {
    public let rest: RESTClient
    public let target: GCETarget

    public init(rest: RESTClient, target: GCETarget) {
        self.rest = rest
        self.target = target
    }

    /// `ROOT/compute/v1/projects/PROJECT/` + `path`.
    func url(_ path: String) -> String {
        target.computeRoot + "compute/v1/projects/" + PathEncoding.segment(target.project) + "/" + path
    }

    /// The resource URL other resources refer to (`…/projects/P/global/healthChecks/NAME`), on this target's host.
    public func link<Resource: ComputeResource>(_ type: Resource.Type, _ name: String, in scope: ComputeScope = .global) -> String {
        url(scope.path + "/" + Resource.collection + "/" + PathEncoding.segment(name))
    }

    public var images: ComputeCollection<Image> { .init(compute: self, scope: .global) }
    public var instanceTemplates: ComputeCollection<InstanceTemplate> { .init(compute: self, scope: .global) }
    public var healthChecks: ComputeCollection<HealthCheck> { .init(compute: self, scope: .global) }
    public var firewalls: ComputeCollection<Firewall> { .init(compute: self, scope: .global) }
    public var backendServices: ComputeCollection<BackendService> { .init(compute: self, scope: .global) }
    public var urlMaps: ComputeCollection<UrlMap> { .init(compute: self, scope: .global) }
    public var targetHttpProxies: ComputeCollection<TargetHttpProxy> { .init(compute: self, scope: .global) }
    public var globalForwardingRules: ComputeCollection<ForwardingRule> { .init(compute: self, scope: .global) }

    /// Managed instance groups of a zone (`.zone("us-west1-a")`) or a region (`.region("us-west1")`).
    public func instanceGroupManagers(_ scope: ComputeScope) -> ComputeCollection<InstanceGroupManager> {
        .init(compute: self, scope: scope)
    }

    /// Autoscalers of a zone or a region.
    public func autoscalers(_ scope: ComputeScope) -> ComputeCollection<Autoscaler> { .init(compute: self, scope: scope) }

    /// Instances of a zone.
    public func instances(zone: String) -> ComputeCollection<Instance> { .init(compute: self, scope: .zone(zone)) }

    /// The value of `body`, or nil if it fails with 404.
    public func ifExists<T: Sendable>(_ body: () async throws -> T) async throws -> T? {
        do {
            return try await body()
        } catch let error as GCEAPIError where error.isNotFound {
            return nil
        }
    }
}
