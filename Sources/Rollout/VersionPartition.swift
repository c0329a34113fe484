/// A group's instances sorted by version: which stay, which are to go, and what each version lacks.
struct VersionPartition {
    /// The distinct templates of the versions, in the order they first appear ("slots").
    let templates: [String]
    /// Each slot's target number of instances (versions sharing a template add up).
    let targets: [Int]
    /// Instances not leaving the group.
    let members: [ManagedInstanceSnapshot]
    /// Members per slot.
    let buckets: [[ManagedInstanceSnapshot]]
    /// Members whose template is in no version.
    let outdated: [ManagedInstanceSnapshot]
    /// Members that stay on their version.
    let kept: [ManagedInstanceSnapshot]
    /// Outdated and surplus members, in the order they should be removed.
    let candidates: [ManagedInstanceSnapshot]
    /// How many instances each slot lacks.
    let deficits: [Int]

    init(_ group: GroupSnapshot, versionSizes: [Int]) {
        var templates: [String] = []
        var targets: [Int] = []
        var slotByTemplate: [String: Int] = [:]
        for (version, size) in zip(group.versions, versionSizes) {
            if let slot = slotByTemplate[version.instanceTemplate] {
                targets[slot] += size
            } else {
                slotByTemplate[version.instanceTemplate] = templates.count
                templates.append(version.instanceTemplate)
                targets.append(size)
            }
        }

        let members = group.instances.filter { !$0.isLeaving }
        var buckets = Array(repeating: [ManagedInstanceSnapshot](), count: templates.count)
        var outdated: [ManagedInstanceSnapshot] = []
        for member in members {
            if let slot = slotByTemplate[member.instanceTemplate] {
                buckets[slot].append(member)
            } else {
                outdated.append(member)
            }
        }

        var kept: [ManagedInstanceSnapshot] = []
        var surplus: [ManagedInstanceSnapshot] = []
        var deficits: [Int] = []
        for (bucket, target) in zip(buckets, targets) {
            let ordered = bucket.sorted(by: Self.keepsBefore)
            kept += ordered.prefix(target)
            surplus += ordered.dropFirst(target)
            deficits.append(max(0, target - bucket.count))
        }
        let outdatedNames = Set(outdated.map(\.name))

        self.templates = templates
        self.targets = targets
        self.members = members
        self.buckets = buckets
        self.outdated = outdated
        self.kept = kept
        self.deficits = deficits
        self.candidates = (outdated + surplus).sorted {
            Self.removesBefore($0, $1, outdated: outdatedNames)
        }
    }

    /// Which of two instances of one version to keep first: available, alive, oldest.
    private static func keepsBefore(_ a: ManagedInstanceSnapshot, _ b: ManagedInstanceSnapshot) -> Bool {
        if a.isAvailable != b.isAvailable { return a.isAvailable }
        if a.isDead != b.isDead { return !a.isDead }
        if a.createdAt != b.createdAt { return a.createdAt < b.createdAt }
        return a.name < b.name
    }

    /// Which of two candidates to remove first: unavailable, dead, outdated, newest.
    private static func removesBefore(
        _ a: ManagedInstanceSnapshot, _ b: ManagedInstanceSnapshot, outdated: Set<String>
    ) -> Bool {
        if a.isAvailable != b.isAvailable { return !a.isAvailable }
        if a.isDead != b.isDead { return a.isDead }
        let aOutdated = outdated.contains(a.name), bOutdated = outdated.contains(b.name)
        if aOutdated != bOutdated { return aOutdated }
        if a.createdAt != b.createdAt { return a.createdAt > b.createdAt }
        return a.name < b.name
    }
}
