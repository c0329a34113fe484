/// Where a pipeline reports what it is doing. The executable draws a bar on a terminal and plain
/// lines otherwise; tests collect the events.
public protocol DeployReporter: Sendable {
    /// A step begins (`build`, `upload`, …).
    func started(_ step: String, _ detail: String)
    /// News within a step, e.g. the rollout's `1 of 2 on r…, 1 healthy`.
    func progress(_ step: String, _ detail: String)
    /// Bytes of a transfer done so far.
    func transferred(_ step: String, _ done: Int64, of total: Int64)
    /// A step ended, with what it did (`uploaded 12 MB`, `reused`, `skipped: no build command`).
    func finished(_ step: String, _ outcome: String, seconds: Double)
    /// A line to show as it is (a plan, a warning).
    func note(_ line: String)
}

/// Reports nothing.
public struct SilentReporter: DeployReporter {
    public init() {}
    public func started(_ step: String, _ detail: String) {}
    public func progress(_ step: String, _ detail: String) {}
    public func transferred(_ step: String, _ done: Int64, of total: Int64) {}
    public func finished(_ step: String, _ outcome: String, seconds: Double) {}
    public func note(_ line: String) {}
}

/// How long one step took, for the summary.
public struct StepTiming: Sendable, Codable, Equatable {
    public var step: String
    public var outcome: String
    public var seconds: Double
}
