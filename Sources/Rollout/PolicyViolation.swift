/// A reason why a policy given to the API cannot be accepted, as the control plane reports it in a
/// 400 `invalid` error. The decision functions never throw: they work with whatever they are given
/// (clamping where needed), and the API layer calls the `validate` functions before storing a policy.
public enum PolicyViolation: Error, Sendable, Equatable, CustomStringConvertible {
    /// A percentage used for `field` while the group has fewer than 10 instances.
    case percentNeedsTenInstances(field: String)
    /// A percentage outside 0...100.
    case percentOutOfRange(field: String, percent: Int)
    /// A negative fixed number.
    case negativeFixed(field: String, value: Int)
    /// A regional group's fixed `maxSurge`/`maxUnavailable` must be 0 or at least the number of zones.
    case regionalFixedBelowZoneCount(field: String, value: Int, zoneCount: Int)
    /// `maxSurge` and `maxUnavailable` both resolve to 0: an update could never make progress.
    case surgeAndUnavailableBothZero
    /// `replacementMethod: RECREATE` keeps instance names, so it cannot create extra instances.
    case recreateNeedsZeroSurge
    /// `minimalAction` is more disruptive than `mostDisruptiveAllowedAction`.
    case minimalActionExceedsMostDisruptive
    /// A group needs at least one version (or a top-level instance template).
    case noVersions
    /// Exactly one version must leave `targetSize` unset.
    case versionsNeedExactlyOneWithoutTargetSize(count: Int)
    /// Every version name may appear at most once.
    case duplicateVersionName(String)
    /// A numeric field outside its allowed range (health check, autoscaler, autohealing).
    case outOfRange(field: String, reason: String)

    public var description: String {
        switch self {
        case .percentNeedsTenInstances(let field):
            return "\(field): a percentage is allowed only when the group has 10 or more instances"
        case .percentOutOfRange(let field, let percent):
            return "\(field): percent must be between 0 and 100, got \(percent)"
        case .negativeFixed(let field, let value):
            return "\(field): fixed must not be negative, got \(value)"
        case .regionalFixedBelowZoneCount(let field, let value, let zoneCount):
            return "\(field): fixed must be 0 or at least the number of zones (\(zoneCount)), got \(value)"
        case .surgeAndUnavailableBothZero:
            return "updatePolicy: at least one of maxSurge or maxUnavailable must be greater than 0"
        case .recreateNeedsZeroSurge:
            return "updatePolicy.maxSurge: must be 0 when replacementMethod is RECREATE"
        case .minimalActionExceedsMostDisruptive:
            return "updatePolicy.minimalAction: must not be more disruptive than mostDisruptiveAllowedAction"
        case .noVersions:
            return "versions: at least one version is required"
        case .versionsNeedExactlyOneWithoutTargetSize(let count):
            return "versions: exactly one version must leave targetSize unset, found \(count)"
        case .duplicateVersionName(let name):
            return "versions: version name '\(name)' appears more than once"
        case .outOfRange(let field, let reason):
            return "\(field): \(reason)"
        }
    }
}
