/// The names of everything `sortie deploy` creates for an app: one fixed name per piece of the
/// one-time setup, and per release a content-addressed name for its archive, image and template.
/// With `app` at most 24 characters (the config's limit) every name stays within GCE's 63.
public struct ResourceNames: Sendable, Equatable {
    public let app: String

    public init(app: String) { self.app = app }

    public var healthCheck: String { "\(app)-health" }
    /// The firewall rule letting Google's health-check ranges reach the serving port.
    public var firewall: String { "\(app)-allow-health-checks" }
    public var group: String { app }
    public var baseInstanceName: String { app }
    public var autoscaler: String { "\(app)-autoscaler" }
    public var backendService: String { "\(app)-backend" }
    public var urlMap: String { "\(app)-urls" }
    public var httpProxy: String { "\(app)-proxy" }
    public var forwardingRule: String { "\(app)-http" }
    /// The image family: `getFromFamily` gives the newest release.
    public var imageFamily: String { app }
    /// The network tag on every instance, which the firewall rule targets.
    public var networkTag: String { "\(app)-serving" }
    /// The named port of the group that the backend service sends traffic to.
    public var portName: String { "http" }

    /// A release's id: `r` and the first 12 hex digits of its image archive's sha256, so the same
    /// image is the same release (a re-run resumes it rather than making another).
    public static func releaseID(archiveSHA256: String) -> String {
        "r" + archiveSHA256.lowercased().prefix(12)
    }

    public func image(release: String) -> String { "\(app)-\(release)" }
    /// A release's template for one set of instance properties: `APP-RELEASE-VARIANT`, where
    /// `VARIANT` is 8 hex digits of a digest of the properties (`ReleaseTemplate.variant`), so
    /// the same kernel with another machine type, disk, network or metadata is another template.
    public func template(release: String, variant: String) -> String { "\(app)-\(release)-\(variant)" }
    /// The archive's object name in the bucket, content-addressed.
    public func archiveObject(archiveSHA256: String) -> String { "\(app)/\(archiveSHA256.lowercased()).tar.gz" }

    /// The release a template or image of this app belongs to (`APP-RELEASE` or
    /// `APP-RELEASE-VARIANT`), or nil for other names.
    public func release(ofResource name: String) -> String? {
        guard name.hasPrefix(app + "-r") else { return nil }
        let parts = name.dropFirst(app.count + 1).split(separator: "-", omittingEmptySubsequences: false)
        guard let release = parts.first, release.count == 13, release.dropFirst().allSatisfy(\.isHexDigit) else { return nil }
        switch parts.count {
        case 1: return String(release)
        case 2 where parts[1].count == 8 && parts[1].allSatisfy(\.isHexDigit): return String(release)
        default: return nil
        }
    }
}

extension ResourceNames {
    /// The release a template or image reference (name or URL) belongs to, else its last segment.
    public func releaseOrName(_ reference: String) -> String {
        let name = RolloutProgress.lastSegment(reference)
        return release(ofResource: name) ?? name
    }
}
