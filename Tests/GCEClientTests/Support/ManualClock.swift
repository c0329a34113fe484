import GCEClient
import Synchronization

/// Time that passes only when the client sleeps: records every sleep, jitter fixed.
final class ManualClock: Sendable {
    private let state = Mutex<(now: ContinuousClock.Instant, sleeps: [Duration])>((ContinuousClock.now, []))
    let jitter: Double

    init(jitter: Double = 0.5) { self.jitter = jitter }

    var sleeps: [Duration] { state.withLock { $0.sleeps } }

    var clientClock: ClientClock {
        ClientClock(
            now: { self.state.withLock { $0.now } },
            sleep: { duration in self.state.withLock { $0.now += duration; $0.sleeps.append(duration) } },
            random: { self.jitter }
        )
    }
}
