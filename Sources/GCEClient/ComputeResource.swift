import GCEModel

/// A Compute resource type and what its collection supports. Conformances live here, not in the
/// model, so `ComputeCollection` offers only the calls the API has.
public protocol ComputeResource: Codable, Sendable {
    /// The collection's name in paths: `images`, `healthChecks`, ...
    static var collection: String { get }
}

/// A resource with a PATCH method (JSON merge patch: set only what changes).
public protocol PatchableResource: ComputeResource {}

extension Image: ComputeResource { public static let collection = "images" }
extension InstanceTemplate: ComputeResource { public static let collection = "instanceTemplates" }
extension HealthCheck: PatchableResource { public static let collection = "healthChecks" }
extension Firewall: PatchableResource { public static let collection = "firewalls" }
extension BackendService: PatchableResource { public static let collection = "backendServices" }
extension UrlMap: PatchableResource { public static let collection = "urlMaps" }
extension TargetHttpProxy: ComputeResource { public static let collection = "targetHttpProxies" }
extension ForwardingRule: ComputeResource { public static let collection = "forwardingRules" }
extension InstanceGroupManager: PatchableResource { public static let collection = "instanceGroupManagers" }
/// Patched with `patch(autoscaler:_:)`: GCE names it in the query.
extension Autoscaler: ComputeResource { public static let collection = "autoscalers" }
extension Instance: ComputeResource { public static let collection = "instances" }
