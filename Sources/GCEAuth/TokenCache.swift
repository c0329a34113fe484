import Foundation

/// Keeps one access token until `margin` seconds before it expires, and lets concurrent callers
/// share one fetch. The clock is injected so expiry is tested without waiting.
actor TokenCache {
    private let now: @Sendable () -> Date
    private let margin: TimeInterval
    private var cached: (token: String, expires: Date)?
    private var inFlight: Task<IssuedToken, Error>?

    init(margin: TimeInterval = 60, now: @escaping @Sendable () -> Date) {
        self.margin = margin
        self.now = now
    }

    /// The cached token while it is fresh; otherwise the one `fetch` gets (given the request time).
    func token(fetch: @escaping @Sendable (Date) async throws -> IssuedToken) async throws -> String {
        let start = now()
        if let cached, start < cached.expires.addingTimeInterval(-margin) { return cached.token }
        if let inFlight { return try await inFlight.value.accessToken }
        let task = Task { try await fetch(start) }
        inFlight = task
        do {
            let issued = try await task.value
            cached = (issued.accessToken, start.addingTimeInterval(issued.expiresIn))
            inFlight = nil
            return issued.accessToken
        } catch {
            inFlight = nil
            throw error
        }
    }
}
