import Foundation

/// A failed attempt, as far as retrying is concerned.
public enum AttemptFailure: Sendable, Equatable {
    /// The server answered with an error status; `reason` is `error.errors[0].reason`, `retryAfter`
    /// the `Retry-After` header's delay.
    case status(Int, reason: String?, retryAfter: Duration? = nil)
    /// No answer: the connection failed, broke or timed out.
    case transport(TransportError.Kind)
}

/// What to do after a failed attempt.
public enum RetryDecision: Sendable, Equatable {
    case retry(after: Duration)
    case giveUp
}

/// When and how long to wait before trying a request again: a pure decision, so it is tested
/// without I/O. Retries 408, 429, 5xx, the reasons `rateLimitExceeded`, `userRateLimitExceeded`,
/// `resourceNotReady` and `backendError` (whatever their status), and connection failures, losses
/// and timeouts; never another 4xx. Waits grow exponentially with jitter, up to `maxDelay`, for
/// at most `maxAttempts` attempts and, if given, until the call's deadline.
///
/// Only requests that are safe to repeat are retried: reads, Compute mutations carrying a
/// `requestId` (the server deduplicates them) and uploads guarded by `ifGenerationMatch`.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// The wait before the first retry, before jitter.
    public var initialDelay: Duration
    /// How much each wait grows.
    public var multiplier: Double
    /// The longest wait between two attempts.
    public var maxDelay: Duration

    public init(maxAttempts: Int = 8, initialDelay: Duration = .seconds(1), multiplier: Double = 2,
                maxDelay: Duration = .seconds(32)) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
    }

    /// The default: 8 attempts over about 1 + 2 + 4 + ... seconds (with jitter), at most 32 s apart.
    public static let standard = RetryPolicy()
    /// One attempt, never retried.
    public static let never = RetryPolicy(maxAttempts: 1)

    /// The error reasons that mean "try again later", whatever the status.
    public static let retryableReasons: Set<String> = ["rateLimitExceeded", "userRateLimitExceeded", "resourceNotReady", "backendError"]

    /// Whether a failure is transient.
    public static func isRetryable(_ failure: AttemptFailure) -> Bool {
        switch failure {
        case .status(let status, let reason, _):
            if let reason, retryableReasons.contains(reason) { return true }
            return status == 408 || status == 429 || (500...599).contains(status)
        case .transport(let kind):
            return kind != .other
        }
    }

    /// The wait after `failedAttempts` failures (1 for the first): `initialDelay × multiplier^(n-1)`,
    /// capped at `maxDelay`, then scaled into its upper half by `jitter` in [0, 1) so that clients
    /// that failed together do not retry together.
    public func delay(afterFailedAttempts failedAttempts: Int, jitter: Double) -> Duration {
        let exponent = Double(max(0, failedAttempts - 1))
        let base = min(initialDelay.inSeconds * pow(multiplier, exponent), maxDelay.inSeconds)
        let clamped = min(max(jitter, 0), 1)
        return .milliseconds(Int64((base * (0.5 + 0.5 * clamped) * 1000).rounded()))
    }

    /// Whether and when to try again after the `failedAttempts`-th failure. `elapsed` is the time
    /// since the first attempt began and `budget` the most the whole call may take.
    public func decide(_ failure: AttemptFailure, failedAttempts: Int, elapsed: Duration = .zero, budget: Duration? = nil,
                       jitter: Double) -> RetryDecision {
        guard Self.isRetryable(failure), failedAttempts < maxAttempts else { return .giveUp }
        var wait = delay(afterFailedAttempts: failedAttempts, jitter: jitter)
        if case .status(_, _, let retryAfter?) = failure, retryAfter > wait { wait = retryAfter }
        if let budget, elapsed + wait >= budget { return .giveUp }
        return .retry(after: wait)
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var inSeconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
