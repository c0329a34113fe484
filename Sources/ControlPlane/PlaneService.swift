import ServiceLifecycle

/// The plane's background work as a service of the server's `ServiceGroup` (swift-service-lifecycle):
/// it runs while the group does (the reconciler, autoscalers, load balancers and VM watchers the
/// plane's tasks own), and at graceful shutdown it stops them and powers the guests off (ACPI,
/// then kill after `grace` seconds).
///
/// Call ``Plane/start()`` before running the group (instances adopted and interrupted operations
/// finished before the first API request), and list this service before the API server: a group
/// shuts its services down in reverse order, so the API stops taking requests first and the
/// guests go last.
public struct PlaneService: Service {
    let plane: Plane
    let grace: Double
    let onStopping: @Sendable () -> Void

    /// - Parameter onStopping: called once graceful shutdown has begun, before the guests are
    ///   powered off (the command line says so).
    public init(plane: Plane, grace: Double, onStopping: @escaping @Sendable () -> Void = {}) {
        self.plane = plane
        self.grace = grace
        self.onStopping = onStopping
    }

    public func run() async throws {
        // Returns at graceful shutdown; throws if the task is cancelled instead (a service of the
        // group failed): the guests are powered off either way.
        try? await gracefulShutdown()
        onStopping()
        await plane.shutdown(grace: grace)
    }
}
