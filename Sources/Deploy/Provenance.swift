import Foundation

/// Where a release came from, recorded on its image: as labels (searchable, within GCE's label
/// rules: lowercase, at most 63 characters, so hashes are shortened) and in full as JSON in the
/// image's description.
public struct Provenance: Codable, Sendable, Equatable {
    /// The release id (`r` + 12 hex digits of the archive's sha256).
    public var release: String
    /// `git rev-parse HEAD` of the directory holding `sortie.yml`; nil outside a git work tree.
    public var gitCommit: String?
    /// Whether the work tree had uncommitted changes.
    public var gitDirty: Bool?
    public var kernelSHA256: String
    /// The sha256 of the image archive (`.tar.gz`) that was uploaded.
    public var imageSHA256: String
    /// `build.command`, as written in `sortie.yml` (with `${...}` secrets redacted).
    public var buildCommand: String?
    /// Tool versions, e.g. `["sortie": "0.1.0", "qemu": "7.2.15"]`.
    public var tools: [String: String]

    public init(release: String, gitCommit: String?, gitDirty: Bool?, kernelSHA256: String, imageSHA256: String,
                buildCommand: String?, tools: [String: String]) {
        self.release = release
        self.gitCommit = gitCommit
        self.gitDirty = gitDirty
        self.kernelSHA256 = kernelSHA256
        self.imageSHA256 = imageSHA256
        self.buildCommand = buildCommand
        self.tools = tools
    }

    /// The label that names a release on its image and template.
    public static let releaseLabel = "sortie-release"

    /// Labels for the image: `sortie-release`, `git-commit`, `git-dirty`, `kernel-sha256` and
    /// `image-sha256` (the first 40 hex digits), `sortie-version` (dots as dashes).
    public var labels: [String: String] {
        var labels = [Self.releaseLabel: release,
                      "kernel-sha256": String(kernelSHA256.lowercased().prefix(40)),
                      "image-sha256": String(imageSHA256.lowercased().prefix(40))]
        if let gitCommit { labels["git-commit"] = Self.labelValue(gitCommit) }
        if let gitDirty { labels["git-dirty"] = gitDirty ? "true" : "false" }
        if let sortie = tools["sortie"] { labels["sortie-version"] = Self.labelValue(sortie) }
        return labels
    }

    /// GCE's limit on a resource's `description`, in characters.
    public static let maximumDescriptionLength = 2048

    /// The image description: a short sentence, then this provenance as JSON, within GCE's
    /// `maximumDescriptionLength`: a build command too long for it is shortened (ending in `…`),
    /// and the tool versions are left out if even that is not enough. The JSON stays whole.
    public var imageDescription: String {
        var fitted = self
        var text = fitted.describe()
        while text.count > Self.maximumDescriptionLength, let command = fitted.buildCommand, !command.isEmpty {
            let excess = text.count - Self.maximumDescriptionLength
            let kept = max(0, command.count - excess - 8)
            fitted.buildCommand = kept == 0 ? "" : String(command.prefix(kept)) + "…"
            text = fitted.describe()
        }
        if text.count > Self.maximumDescriptionLength {
            fitted.tools = [:]
            text = fitted.describe()
        }
        return text
    }

    private func describe() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return Self.descriptionPrefix + json
    }

    static let descriptionPrefix = "Built by sortie deploy. Provenance: "

    /// The provenance in an image description written by `imageDescription`, or nil.
    public static func parse(imageDescription: String?) -> Provenance? {
        guard let text = imageDescription, let start = text.range(of: descriptionPrefix) else { return nil }
        return try? JSONDecoder().decode(Provenance.self, from: Data(text[start.upperBound...].utf8))
    }

    /// A string made fit for a label value: lowercase letters, digits, `-` and `_`, at most 63.
    public static func labelValue(_ text: String) -> String {
        String(text.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") ? $0 : "-" }.prefix(63))
    }
}
