import GCEClient
import Testing

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 5, initialDelay: .seconds(1), multiplier: 2, maxDelay: .seconds(8))

    @Test(arguments: [408, 429, 500, 502, 503, 504])
    func transientStatusesAreRetried(_ status: Int) {
        #expect(RetryPolicy.isRetryable(.status(status, reason: nil)))
    }

    @Test(arguments: [(400, "invalid"), (400, "badRequest"), (401, "required"), (403, "forbidden"), (404, "notFound"),
                      (409, "alreadyExists"), (412, "conditionNotMet"), (400, nil)] as [(Int, String?)])
    func otherClientErrorsAreNot(_ status: Int, _ reason: String?) {
        #expect(!RetryPolicy.isRetryable(.status(status, reason: reason)))
        #expect(policy.decide(.status(status, reason: reason), failedAttempts: 1, jitter: 0.5) == .giveUp)
    }

    @Test(arguments: ["rateLimitExceeded", "userRateLimitExceeded", "resourceNotReady", "backendError"])
    func retryableReasonsWhateverTheStatus(_ reason: String) {
        #expect(RetryPolicy.isRetryable(.status(403, reason: reason)))
        #expect(RetryPolicy.isRetryable(.status(400, reason: reason)))
    }

    @Test func networkFailuresAreRetriedButNotOtherTransportErrors() {
        #expect(RetryPolicy.isRetryable(.transport(.connectionFailed)))
        #expect(RetryPolicy.isRetryable(.transport(.connectionLost)))
        #expect(RetryPolicy.isRetryable(.transport(.timeout)))
        #expect(!RetryPolicy.isRetryable(.transport(.other)))
    }

    @Test func delaysGrowExponentiallyUpToTheCap() {
        // jitter 1 = the full step; 0 = half of it.
        let full = (1...6).map { policy.delay(afterFailedAttempts: $0, jitter: 1) }
        #expect(full == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8)])
        let half = (1...4).map { policy.delay(afterFailedAttempts: $0, jitter: 0) }
        #expect(half == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4)])
        for jitter in stride(from: 0.0, to: 1.0, by: 0.1) {
            let d = policy.delay(afterFailedAttempts: 3, jitter: jitter)
            #expect(d >= .seconds(2) && d <= .seconds(4))
        }
    }

    @Test func givesUpAfterMaxAttempts() {
        #expect(policy.decide(.status(503, reason: nil), failedAttempts: 4, jitter: 1) == .retry(after: .seconds(8)))
        #expect(policy.decide(.status(503, reason: nil), failedAttempts: 5, jitter: 1) == .giveUp)
        #expect(RetryPolicy.never.decide(.status(503, reason: nil), failedAttempts: 1, jitter: 1) == .giveUp)
    }

    @Test func givesUpWhenTheWaitWouldPassTheBudget() {
        #expect(policy.decide(.transport(.timeout), failedAttempts: 2, elapsed: .seconds(7), budget: .seconds(10), jitter: 1)
            == .retry(after: .seconds(2)))
        #expect(policy.decide(.transport(.timeout), failedAttempts: 2, elapsed: .seconds(9), budget: .seconds(10), jitter: 1)
            == .giveUp)
    }

    @Test func retryAfterIsHonouredWhenLonger() {
        #expect(policy.decide(.status(429, reason: nil, retryAfter: .seconds(5)), failedAttempts: 1, jitter: 1)
            == .retry(after: .seconds(5)))
        #expect(policy.decide(.status(429, reason: nil, retryAfter: .zero), failedAttempts: 3, jitter: 1)
            == .retry(after: .seconds(4)))
    }

    @Test func operationPollingBacksOffToTenSeconds() {
        let backoff = PollingBackoff()
        var delays: [Duration] = []
        var last: Duration?
        for _ in 0..<8 {
            last = backoff.next(after: last)
            delays.append(last!)
        }
        #expect(delays.first == .seconds(1))
        #expect(delays[1] == .milliseconds(1500))
        #expect(delays.last == .seconds(10))
        #expect(zip(delays, delays.dropFirst()).allSatisfy { $0 <= $1 })
    }
}
