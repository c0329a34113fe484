/// How a group's `targetSize` is split among its versions.
public enum VersionTargets {
    /// The number of instances each version should have, in the order of `versions`, summing to
    /// `groupSize` (when there is at least one version).
    ///
    /// - A fixed `targetSize` counts as `min(fixed, groupSize)`; a percentage is rounded up (so a
    ///   non-zero canary percentage of a non-empty group is at least one instance).
    /// - Versions with a `targetSize` are served first, in their order; when they ask for more than
    ///   the group has, the later ones get what is left.
    /// - The version without `targetSize` takes the rest. GCE requires exactly one such version; if
    ///   there are several, the first takes the rest and the others get 0; if there is none, the last
    ///   version also takes the rest, so every instance has a version.
    public static func sizes(of versions: [VersionSpec], groupSize: Int) -> [Int] {
        guard !versions.isEmpty else { return [] }
        let total = max(0, groupSize)
        var sizes = Array(repeating: 0, count: versions.count)
        var assigned = 0
        for (index, version) in versions.enumerated() {
            guard let target = version.targetSize else { continue }
            let wanted = min(target.calculated(against: total), total)
            let granted = min(wanted, total - assigned)
            sizes[index] = granted
            assigned += granted
        }
        let rest = versions.firstIndex { $0.targetSize == nil } ?? versions.count - 1
        sizes[rest] += total - assigned
        return sizes
    }

    /// The reasons GCE would reject these versions; empty when they are acceptable.
    public static func validate(_ versions: [VersionSpec], groupSize: Int) -> [PolicyViolation] {
        guard !versions.isEmpty else { return [.noVersions] }
        var problems: [PolicyViolation] = []
        let withoutTarget = versions.filter { $0.targetSize == nil }.count
        if withoutTarget != 1 {
            problems.append(.versionsNeedExactlyOneWithoutTargetSize(count: withoutTarget))
        }
        var seen: Set<String> = []
        for version in versions {
            if !seen.insert(version.name).inserted {
                problems.append(.duplicateVersionName(version.name))
            }
            switch version.targetSize {
            case .fixed(let n) where n < 0:
                problems.append(.negativeFixed(field: "versions[\(version.name)].targetSize", value: n))
            case .percent(let p) where p < 0 || p > 100:
                problems.append(.percentOutOfRange(field: "versions[\(version.name)].targetSize", percent: p))
            default:
                break
            }
        }
        return problems
    }
}
