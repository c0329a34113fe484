/// The configuration as YAML with every default written out and every secret redacted, for
/// `sortie config`-style output and for logs.
extension DeployConfiguration: CustomStringConvertible {
    public var description: String {
        var lines = ["app: \(app)", "build:"]
        if let command = build.command { lines.append("  command: \(quote(command))") }
        lines.append("  kernel: \(quote(build.kernel))")
        if let initrd = build.initrd { lines.append("  initrd: \(quote(initrd))") }
        lines.append("  cmdline: \(quote(build.cmdline))")
        lines.append("image:")
        lines.append("  size: \(Units.sizeText(image.sizeBytes))")
        if let test = image.smokeTest {
            lines.append("  smoke-test: { expect: \(quote(test.expect)), timeout: \(Units.durationText(test.timeoutSeconds)) }")
        }
        let s = service, h = service.health, r = service.rollout
        lines.append("service:")
        lines.append("  port: \(s.port)")
        lines.append("  health: { path: \(quote(h.path)), interval: \(Units.durationText(h.intervalSeconds)), "
                     + "timeout: \(Units.durationText(h.timeoutSeconds)), healthy: \(h.healthyThreshold), "
                     + "unhealthy: \(h.unhealthyThreshold), initial-delay: \(Units.durationText(h.initialDelaySeconds)) }")
        lines.append("  instances: { min: \(s.instances.min), max: \(s.instances.max) }")
        if let a = s.autoscale {
            lines.append("  autoscale: { cpu: \(ConfigNode.format(a.cpuTarget)), cooldown: \(Units.durationText(a.cooldownSeconds)) }")
        }
        // A default max-surge stays unwritten: it grows to a regional group's zone count.
        lines.append("  rollout: { " + (r.maxSurgeIsExplicit ? "max-surge: \(quote(r.maxSurge.description)), " : "")
                     + "max-unavailable: \(quote(r.maxUnavailable.description)), "
                     + "canary: \(r.canary), timeout: \(Units.durationText(r.timeoutSeconds)), drain: \(Units.durationText(r.drainSeconds))"
                     + (r.minReadySeconds.map { ", min-ready: \(Units.durationText($0))" } ?? "") + " }")
        if !s.metadata.isEmpty {
            lines.append("  metadata:")
            for key in s.metadata.keys.sorted() { lines.append("    \(key): \(quote(s.metadata[key]!))") }
        }
        lines.append("targets:")
        for t in targets {
            var fields = ["project: \(quote(t.project))"]
            switch t.location {
            case .zone(let zone): fields.append("zone: \(quote(zone))")
            case .region(let region): fields.append("region: \(quote(region))")
            }
            fields += ["bucket: \(quote(t.bucket))", "machine-type: \(quote(t.machineType))", "network: \(quote(t.network))"]
            if let subnetwork = t.subnetwork { fields.append("subnetwork: \(quote(subnetwork))") }
            fields += ["disk-size: \(t.bootDisk.sizeGb)", "disk-type: \(quote(t.bootDisk.type))", "http-port: \(t.httpPort)"]
            if let endpoint = t.endpoint { fields.append("endpoint: \(quote(endpoint))") }
            lines.append("  \(t.name): { \(fields.joined(separator: ", ")) }")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A double-quoted YAML string; a secret prints as `<secret>`.
    private func quote(_ value: ConfigString) -> String { quote(value.description) }

    private func quote(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return "\"\(escaped)\""
    }
}
