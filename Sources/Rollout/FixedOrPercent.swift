/// A count given either as a fixed number of instances or as a percentage of a group's size
/// (GCE's `FixedOrPercent`: `{"fixed": n}` or `{"percent": p}`).
///
/// Rounding: a percentage is rounded **up** (`ceil(p × size / 100)`), so any non-zero percentage of a
/// non-empty group is at least one instance. Google's current API description only says "rounded";
/// earlier revisions of the same description said "rounded up if necessary" for `maxSurge`,
/// `maxUnavailable` and a version's `targetSize`, and Google's Terraform provider documents a version's
/// 60 % of 2 instances as 2. One rule for all three keeps the arithmetic predictable.
public enum FixedOrPercent: Sendable, Equatable, Hashable, CustomStringConvertible {
    case fixed(Int)
    case percent(Int)

    /// GCE's output field `calculated`: the number of instances this value stands for in a group of
    /// `size` instances. Fixed values are returned as they are (never negative); percentages are
    /// clamped to 0...100 and rounded up.
    public func calculated(against size: Int) -> Int {
        switch self {
        case .fixed(let n):
            return max(0, n)
        case .percent(let p):
            let p = min(100, max(0, p))
            let n = max(0, size)
            return (p * n + 99) / 100
        }
    }

    /// Whether this is a percentage.
    public var isPercent: Bool {
        if case .percent = self { return true }
        return false
    }

    /// Whether the configured value is greater than zero (before resolution against a size).
    public var isPositive: Bool {
        switch self {
        case .fixed(let n): n > 0
        case .percent(let p): p > 0
        }
    }

    /// `3` or `50%`.
    public var description: String {
        switch self {
        case .fixed(let n): "\(n)"
        case .percent(let p): "\(p)%"
        }
    }
}
