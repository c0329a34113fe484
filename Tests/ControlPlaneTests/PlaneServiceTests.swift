import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import ControlPlane

/// The plane as a service of a ServiceGroup: it runs until graceful shutdown, then stops its work
/// and powers the guests off; a group that fails stops it just the same.
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

    @Test func gracefulShutdownStopsThePlane() async throws {
        let (plane, directory) = try Self.plane()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        await plane.start()
        let stopping = Mutex(0)
        let service = PlaneService(plane: plane, grace: 1) { stopping.withLock { $0 += 1 } }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [.init(service: service)],
                                                                           logger: Logger(label: "test")))
        async let running: Void = group.run()
        #expect(stopping.withLock { $0 } == 0, "the plane runs until the group shuts down")
        await group.triggerGracefulShutdown()
        try await running
        #expect(stopping.withLock { $0 } == 1)
    }

    @Test func aFailingServiceStopsThePlaneToo() async throws {
        let (plane, directory) = try Self.plane()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        await plane.start()
        let stopping = Mutex(0)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: PlaneService(plane: plane, grace: 1) { stopping.withLock { $0 += 1 } }),
                       .init(service: FailingService())],
            logger: Logger(label: "test")))
        await #expect(throws: FailingService.PortTaken.self) { try await group.run() }
        #expect(stopping.withLock { $0 } == 1)
    }
}
