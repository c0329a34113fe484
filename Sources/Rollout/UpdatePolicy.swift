/// A group's `updatePolicy` (GCE's `InstanceGroupManagerUpdatePolicy`): how instances are moved to
/// their target version. Unset fields take GCE's defaults.
public struct UpdatePolicy: Sendable, Equatable {
    /// `PROACTIVE` rolls existing instances to their target version; `OPPORTUNISTIC` applies a new
    /// template only to instances the group creates anyway (resize, autohealing).
    public enum UpdateType: String, Sendable, Equatable, CaseIterable {
        case proactive = "PROACTIVE"
        case opportunistic = "OPPORTUNISTIC"
    }

    /// An action on an instance, ordered from least to most disruptive
    /// (`minimalAction`, `mostDisruptiveAllowedAction`).
    public enum InstanceAction: String, Sendable, Equatable, CaseIterable, Comparable {
        case none = "NONE"
        case refresh = "REFRESH"
        case restart = "RESTART"
        case replace = "REPLACE"

        private var disruption: Int {
            switch self {
            case .none: 0
            case .refresh: 1
            case .restart: 2
            case .replace: 3
            }
        }

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.disruption < rhs.disruption }
    }

    /// `SUBSTITUTE` deletes an instance and creates a new one with a new name; `RECREATE` keeps the name.
    public enum ReplacementMethod: String, Sendable, Equatable, CaseIterable {
        case substitute = "SUBSTITUTE"
        case recreate = "RECREATE"
    }

    /// Default `PROACTIVE`.
    public var type: UpdateType
    /// The least disruptive action taken on an instance being updated. Default `REPLACE`. A template
    /// change always needs `REPLACE`, whatever this says.
    public var minimalAction: InstanceAction
    /// The most disruptive action allowed; an update needing more is not performed. Default `REPLACE`.
    public var mostDisruptiveAllowedAction: InstanceAction
    /// Default `SUBSTITUTE`.
    public var replacementMethod: ReplacementMethod
    /// Unset: a fixed value equal to the number of zones (0 with `RECREATE`).
    public var maxSurge: FixedOrPercent?
    /// Unset: a fixed value equal to the number of zones.
    public var maxUnavailable: FixedOrPercent?

    public init(
        type: UpdateType = .proactive,
        minimalAction: InstanceAction = .replace,
        mostDisruptiveAllowedAction: InstanceAction = .replace,
        replacementMethod: ReplacementMethod = .substitute,
        maxSurge: FixedOrPercent? = nil,
        maxUnavailable: FixedOrPercent? = nil
    ) {
        self.type = type
        self.minimalAction = minimalAction
        self.mostDisruptiveAllowedAction = mostDisruptiveAllowedAction
        self.replacementMethod = replacementMethod
        self.maxSurge = maxSurge
        self.maxUnavailable = maxUnavailable
    }

    /// How many instances may exist above `targetSize` during an update. Always 0 with `RECREATE`
    /// (which keeps names, so cannot surge); unset means the number of zones; percentages round up.
    public func resolvedMaxSurge(targetSize: Int, zoneCount: Int) -> Int {
        if replacementMethod == .recreate { return 0 }
        return (maxSurge ?? .fixed(max(1, zoneCount))).calculated(against: targetSize)
    }

    /// How many instances may be unavailable during an update; unset means the number of zones;
    /// percentages round up.
    public func resolvedMaxUnavailable(targetSize: Int, zoneCount: Int) -> Int {
        (maxUnavailable ?? .fixed(max(1, zoneCount))).calculated(against: targetSize)
    }

    /// Whether existing instances are replaced when their template differs from their version's.
    /// A template change needs `REPLACE` (new boot disk); if `mostDisruptiveAllowedAction` forbids it,
    /// GCE does not perform the update at all, which leaves the group as `OPPORTUNISTIC` would.
    public var replacesProactively: Bool {
        type == .proactive && mostDisruptiveAllowedAction >= .replace
    }

    /// The reasons GCE would reject this policy for a group of `targetSize` instances in `zoneCount`
    /// zones (a zonal group has one zone). Empty when it is acceptable.
    public func validate(targetSize: Int, zoneCount: Int) -> [PolicyViolation] {
        var problems: [PolicyViolation] = []
        for (field, value) in [("updatePolicy.maxSurge", maxSurge), ("updatePolicy.maxUnavailable", maxUnavailable)] {
            guard let value else { continue }
            switch value {
            case .fixed(let n):
                if n < 0 {
                    problems.append(.negativeFixed(field: field, value: n))
                } else if zoneCount > 1, n != 0, n < zoneCount {
                    problems.append(.regionalFixedBelowZoneCount(field: field, value: n, zoneCount: zoneCount))
                }
            case .percent(let p):
                if p < 0 || p > 100 {
                    problems.append(.percentOutOfRange(field: field, percent: p))
                } else if targetSize < 10 {
                    problems.append(.percentNeedsTenInstances(field: field))
                }
            }
        }
        if replacementMethod == .recreate, let maxSurge, maxSurge.calculated(against: targetSize) != 0 {
            problems.append(.recreateNeedsZeroSurge)
        }
        // Judged on the configured values, so that percentages of a small group do not count as 0.
        let surgeAllowed = replacementMethod != .recreate && (maxSurge?.isPositive ?? true)
        let unavailabilityAllowed = maxUnavailable?.isPositive ?? true
        if !surgeAllowed && !unavailabilityAllowed {
            problems.append(.surgeAndUnavailableBothZero)
        }
        if minimalAction > mostDisruptiveAllowedAction {
            problems.append(.minimalActionExceedsMostDisruptive)
        }
        return problems
    }
}
