import Synchronization
import Testing
@testable import ControlPlane

/// The plane's background tasks have an owner: shutdown cancels them, waits for them, and starts
/// nothing afterwards.
@Suite struct TaskOwnerTests {
    @Test func shutdownCancelsAndAwaitsEveryTaskAndRefusesNewOnes() async {
        let owner = TaskOwner()
        let ended = Mutex(0)
        for _ in 0..<3 {
            owner.spawn {
                // A deletion waiting out its draining time, say.
                try? await Task.sleep(for: .seconds(600))
                ended.withLock { $0 += 1 }
            }
        }
        #expect(owner.count == 3)
        await owner.shutdown()
        #expect(ended.withLock { $0 } == 3, "shutdown returned before its tasks ended")
        #expect(owner.count == 0)
        let launched = Mutex(false)
        #expect(!owner.spawn { launched.withLock { $0 = true } }, "a task started after shutdown")
        await Task.yield()
        #expect(!launched.withLock { $0 })
    }

    @Test func finishedTasksAreForgotten() async throws {
        let owner = TaskOwner()
        owner.spawn {}
        for _ in 0..<100 where owner.count > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(owner.count == 0)
    }
}
