import Foundation
import GRDB
import Logging
import Synchronization
import Testing
@testable import ControlPlane

/// A log handler that keeps every message, for checking what the plane reports.
final class CapturedLog: LogHandler, @unchecked Sendable {
    let messages = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        messages.withLock { $0.append("\(event.level): \(event.message)") }
    }
}

/// A state read or write that fails in SQLite is logged with what it was for, even where the
/// caller goes on without it; answers to the request itself (not found) are not failures.
@Suite struct StoreFailureTests {
    @Test func aSQLiteFailureIsLoggedWithItsContextAndStillThrown() throws {
        let directory = NSTemporaryDirectory() + "sortie-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = CapturedLog()
        let store = try Store(path: directory + "/state.sqlite", logger: Logger(label: "test") { _ in log })

        #expect(try store.get("projects/p/global/images", "missing") == nil)
        #expect(throws: APIError.self) { try store.delete("projects/p/global/images", "missing") }
        #expect(log.messages.withLock { $0 }.isEmpty, "a missing resource is an answer, not a failure")

        // The table disappears under the store, as a damaged file would make it fail.
        try store.db.write { db in try db.execute(sql: "DROP TABLE resources") }
        _ = try? store.mutate("projects/p/zones/z/instances", "vm-1") { $0["status"] = "RUNNING" }
        #expect(throws: (any Error).self) { try store.list("projects/p/global/images") }
        let messages = log.messages.withLock { $0 }
        #expect(messages.count == 2)
        #expect(messages.first?.contains("error: state store: cannot update projects/p/zones/z/instances/vm-1") == true, "\(messages)")
        #expect(messages.first?.contains("no such table") == true, "\(messages)")
        #expect(messages.last?.contains("cannot list projects/p/global/images") == true, "\(messages)")
    }
}
