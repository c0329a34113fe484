import ServiceLifecycle

/// One part of the plane as a service of the server's `ServiceGroup` (swift-service-lifecycle):
/// it runs while the group does, and at graceful shutdown (or when the group is cancelled because
/// another service failed) it stops its part.
struct PlanePartService: Service, CustomStringConvertible {
    /// What it stops, for the group's logs.
    let description: String
    let stop: @Sendable () async -> Void

    func run() async throws {
        // Returns at graceful shutdown; throws if the task is cancelled instead: stop either way.
        try? await gracefulShutdown()
        await stop()
    }
}

extension Plane {
    /// The plane's parts as services, in start order: the VMs, the load balancers, then the
    /// background tasks (the reconciler loop, which also drives the autoscalers, and the creations,
    /// deletions and watchers it owns). Run them in one `ServiceGroup` followed by the API server:
    /// a group shuts its services down in reverse order, so the API stops taking requests first,
    /// then no task can launch a VM any more, then the balancers close, and the guests are powered
    /// off last (ACPI, then kill after `grace` seconds). Call ``start()`` before running the group
    /// (instances adopted and interrupted operations finished before the first API request).
    ///
    /// - Parameter onStopping: called once graceful shutdown reaches the plane.
    public func services(grace: Double, onStopping: @escaping @Sendable () -> Void = {}) -> [any Service] {
        let compute = self.compute
        return [
            PlanePartService(description: "guests") { await compute.instances.shutdownAll(grace: grace) },
            PlanePartService(description: "load balancers") { await compute.loadBalancer.stopAll() },
            PlanePartService(description: "background tasks") {
                onStopping()
                await compute.tasks.shutdown()
            },
        ]
    }
}
