import Foundation
import GCEModel

/// One release of an app: its image, provenance, and whether the group runs it.
public struct Release: Sendable, Equatable, Codable {
    public var id: String
    public var image: String
    public var created: String
    public var status: String
    public var provenance: Provenance?
    /// The group's versions name this release's template.
    public var isLive: Bool
}

/// The releases of an app, newest first, from its images and the group's versions: pure.
public struct ReleaseHistory: Sendable, Equatable {
    public var releases: [Release]

    public init(names: ResourceNames, images: [Image], liveTemplates: [String]) {
        let live = Set(liveTemplates.compactMap { names.release(ofResource: RolloutProgress.lastSegment($0)) })
        releases = images.compactMap { image -> Release? in
            guard let id = names.release(ofResource: image.name) else { return nil }
            return Release(id: id, image: image.name, created: image.creationTimestamp ?? "", status: image.status ?? "",
                           provenance: Provenance.parse(imageDescription: image.description), isLive: live.contains(id))
        }
        // RFC 3339 timestamps of one offset sort as text; the name breaks ties.
        .sorted { ($0.created, $0.id) > ($1.created, $1.id) }
    }

    public var live: [Release] { releases.filter(\.isLive) }

    /// The release before the newest live one (what `sortie rollback` goes back to by default).
    public var previous: Release? {
        guard let newestLive = releases.firstIndex(where: \.isLive) else { return nil }
        return releases[(newestLive + 1)...].first { $0.status == "READY" }
    }

    /// What `sortie gc --keep N` removes: every release beyond the newest `keep`, except those live
    /// (or otherwise `protected`, e.g. templates a group still names).
    public func collectable(keep: Int, protected: Set<String> = []) -> [Release] {
        releases.enumerated().filter { index, release in
            index >= keep && !release.isLive && !protected.contains(release.id)
        }.map(\.element)
    }
}
