import GCEModel

/// Whether the load balancer serves a release, judged from one `backendServices.getHealth` answer
/// and the group's instances: pure.
///
/// A rollout is judged on the group's health (its autohealing check); the load balancer probes
/// with its own checks and, on GCE, may take minutes to program a new forwarding rule. A deploy is
/// done only when every instance on the release is HEALTHY for the backend service too.
public struct ServingProgress: Sendable, Equatable {
    /// Instances on the release that the backend service reports HEALTHY.
    public var healthy: [String]
    /// Instances on the release.
    public var total: Int

    public var isDone: Bool { total > 0 && healthy.count == total }

    /// `2 of 2 instances of r1a2b3c4d5e6f HEALTHY for hello-backend`.
    public func summary(release: String, service: String) -> String {
        "\(healthy.count) of \(total) instance(s) of \(release) HEALTHY for \(service)"
    }

    public static func assess(health: BackendServiceGroupHealth, instances: [ManagedInstance], template: String) -> ServingProgress {
        let onRelease = instances.filter { RolloutProgress.templateName($0) == template }.map(RolloutProgress.shortName)
        let healthyNames = Set((health.healthStatus ?? []).filter { $0.healthState == "HEALTHY" }
            .compactMap { $0.instance.map(RolloutProgress.lastSegment) })
        return ServingProgress(healthy: onRelease.filter(healthyNames.contains), total: onRelease.count)
    }
}
