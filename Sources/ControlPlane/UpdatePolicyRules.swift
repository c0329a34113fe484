/// A managed instance group's `updatePolicy`: GCE's defaults and the rules it enforces on insert
/// and patch (discovery document, `InstanceGroupManagerUpdatePolicy`; reference/gce-api.md §3.3).
///
/// - `maxSurge` and `maxUnavailable` default to a fixed value equal to the number of zones the
///   group operates in (`maxSurge` 0 with `replacementMethod: RECREATE`).
/// - At least one of them must be greater than 0.
/// - With `RECREATE`, `maxSurge` must be 0.
/// - A regional group's fixed values must each be 0 or at least the number of zones: GCE answers
///   "Fixed updatePolicy.maxUnavailable for regional managed instance group has to be either 0
///   or at least equal to the number of zones." Percentages are not subject to it.
enum UpdatePolicyRules {
    /// Fills the defaults of `group["updatePolicy"]` and checks it; `zoneCount` is the number of
    /// zones of the group, `regional` whether it is a regional group.
    static func normalise(_ group: inout JSONValue, zoneCount: Int, regional: Bool) throws {
        var policy = group["updatePolicy"] ?? [:]
        let zones = Double(max(1, zoneCount))
        if policy["type"] == nil { policy["type"] = "PROACTIVE" }
        if policy["minimalAction"] == nil { policy["minimalAction"] = "REPLACE" }
        if policy["replacementMethod"] == nil { policy["replacementMethod"] = "SUBSTITUTE" }
        let recreate = policy["replacementMethod"]?.string == "RECREATE"
        if policy["maxSurge"] == nil { policy["maxSurge"] = ["fixed": .number(recreate ? 0 : zones)] }
        if policy["maxUnavailable"] == nil { policy["maxUnavailable"] = ["fixed": .number(zones)] }
        let surge = policy["maxSurge"]?["fixed"]?.number ?? 1, unavailable = policy["maxUnavailable"]?["fixed"]?.number ?? 1
        if policy["maxSurge"]?["percent"] == nil, policy["maxUnavailable"]?["percent"] == nil, surge == 0, unavailable == 0 {
            throw APIError.invalid("At least one of updatePolicy.maxSurge or updatePolicy.maxUnavailable must be greater than 0.")
        }
        if recreate, surge > 0 || (policy["maxSurge"]?["percent"]?.number ?? 0) > 0 {
            throw APIError.invalid("Invalid value for field 'resource.updatePolicy.maxSurge': '\(describe(policy["maxSurge"]))'. maxSurge must be equal to 0 when replacement method is set to RECREATE.")
        }
        if regional {
            for field in ["maxSurge", "maxUnavailable"] {
                guard let fixed = policy[field]?["fixed"]?.number, fixed != 0, fixed < zones else { continue }
                throw APIError.invalid("Invalid value for field 'resource.updatePolicy.\(field).fixed': '\(ResourceValidation.quoted(fixed))'. Fixed updatePolicy.\(field) for regional managed instance group has to be either 0 or at least equal to the number of zones.")
            }
        }
        group["updatePolicy"] = policy
    }

    /// A FixedOrPercent as GCE quotes it in messages.
    static func describe(_ value: JSONValue?) -> String {
        if let percent = value?["percent"]?.number { return "{  \"percent\": \(ResourceValidation.quoted(percent))}" }
        return "{  \"fixed\": \(ResourceValidation.quoted(value?["fixed"]?.number ?? 0))}"
    }
}
