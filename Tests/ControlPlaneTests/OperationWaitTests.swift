import Foundation
import Testing
@testable import ControlPlane

/// `operations.wait` returns when the operation finishes (woken, not polled) or when its time is up.
@Suite struct OperationWaitTests {
    static func operations() throws -> (Operations, String) {
        let directory = NSTemporaryDirectory() + "sortie-ops-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try Store(path: directory + "/state.sqlite")
        return (Operations(store: store, baseURL: "http://127.0.0.1:1"), directory)
    }

    @Test func aWaiterWakesWhenTheOperationFinishes() async throws {
        let (operations, directory) = try Self.operations()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let op = try operations.begin(project: "p", scope: "zones/z", type: "insert", targetLink: "t", targetId: nil, requestId: nil)
        let name = op.body["name"]!.string!
        let started = ContinuousClock.now
        async let waited = operations.wait(op.collection, name, seconds: 60)
        try await Task.sleep(for: .milliseconds(100))
        operations.finish(op.collection, name)
        let result = try await waited
        #expect(result["status"]?.string == "DONE")
        // Woken by the finish: nowhere near the 60 s a missed signal would cost.
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(operations.signals.count == 0, "no waiter left behind")
    }

    @Test func aFinishBeforeTheWaitIsSeenAtOnce() async throws {
        let (operations, directory) = try Self.operations()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let op = try operations.begin(project: "p", scope: "global", type: "insert", targetLink: "t", targetId: nil, requestId: nil)
        let name = op.body["name"]!.string!
        operations.finish(op.collection, name, error: APIError.notFound("x"))
        let result = try await operations.wait(op.collection, name, seconds: 60)
        #expect(result["status"]?.string == "DONE")
        #expect(result["error"] != nil)
    }

    @Test func anUnfinishedOperationIsReturnedRunningWhenTheTimeIsUp() async throws {
        let (operations, directory) = try Self.operations()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let op = try operations.begin(project: "p", scope: "global", type: "insert", targetLink: "t", targetId: nil, requestId: nil)
        let result = try await operations.wait(op.collection, op.body["name"]!.string!, seconds: 0.2)
        #expect(result["status"]?.string == "RUNNING")
        #expect(operations.signals.count == 0)
    }

    @Test func aSignalWakesOnlyItsOwnWaiters() async {
        let signals = OperationSignals()
        let mine = signals.register("ops/a"), other = signals.register("ops/b")
        signals.signal("ops/a")
        await signals.wait(mine) // already fired: returns at once
        signals.unregister(mine)
        let stillWaiting = Task { await signals.wait(other) }
        try? await Task.sleep(for: .milliseconds(50))
        stillWaiting.cancel() // cancellation ends a wait whose signal never comes
        await stillWaiting.value
        #expect(signals.count == 0)
    }
}
