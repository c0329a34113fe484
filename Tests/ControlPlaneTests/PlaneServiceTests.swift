import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import ControlPlane

/// The plane as services of a ServiceGroup: they run until graceful shutdown, then stop their
/// parts in reverse order (tasks, balancers, guests); a group that fails stops them just the same.
@Suite struct PlaneServiceTests {
    static func plane() throws -> (Plane, String) {
        let directory = NSTemporaryDirectory() + "sortie-plane-service-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let plane = try Plane(configuration: PlaneConfiguration(dataDirectory: directory, baseURL: "http://127.0.0.1:1"),
                              logger: Logger(label: "test"))
        return (plane, directory)
    }

    /// A service that fails at once, as an API server whose port is taken does.
    struct FailingService: Service {
        struct PortTaken: Error {}
        func run() async throws { throw PortTaken() }
    }

    static func group(_ services: [any Service]) -> ServiceGroup {
        ServiceGroup(configuration: ServiceGroupConfiguration(services: services.map { .init(service: $0) },
                                                              logger: Logger(label: "test")))
    }

    @Test func partsStopInReverseOrderAtGracefulShutdown() async throws {
        let stopped = Mutex<[String]>([])
        let parts = ["guests", "load balancers", "background tasks"].map { name in
            PlanePartService(description: name) { stopped.withLock { $0.append(name) } }
        }
        let group = Self.group(parts)
        async let running: Void = group.run()
        #expect(stopped.withLock { $0 }.isEmpty, "they run until the group shuts down")
        await group.triggerGracefulShutdown()
        try await running
        #expect(stopped.withLock { $0 } == ["background tasks", "load balancers", "guests"])
    }

    @Test func thePlanesServicesStopAndSaySoOnce() async throws {
        let (plane, directory) = try Self.plane()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        await plane.start()
        let stopping = Mutex(0)
        let group = Self.group(plane.services(grace: 1) { stopping.withLock { $0 += 1 } })
        async let running: Void = group.run()
        await group.triggerGracefulShutdown()
        try await running
        #expect(stopping.withLock { $0 } == 1)
    }

    @Test func aFailingServiceStopsThePlaneToo() async throws {
        let (plane, directory) = try Self.plane()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        await plane.start()
        let stopping = Mutex(0)
        let group = Self.group(plane.services(grace: 1) { stopping.withLock { $0 += 1 } } + [FailingService()])
        await #expect(throws: FailingService.PortTaken.self) { try await group.run() }
        #expect(stopping.withLock { $0 } == 1)
    }
}
