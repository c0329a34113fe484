/// Where CI gets Sortie: a git repository at one full commit, or a `.tar.gz` of the source with
/// its sha256. Recorded in `sortie-ci.lock` by `sortie ci lock`; the pipelines build exactly this
/// and check it (the commit checked out, or the archive's digest) before building.
///
/// In the lock: `{"git": URL, "commit": SHA}` or `{"archive": URL, "sha256": HEX}`.
public enum SortieSource: Sendable, Equatable, Codable {
    /// A repository CI fetches, and the full commit id (lowercase hex) it checks out and verifies.
    case git(url: String, commit: String)
    /// A `.tar.gz` of Sortie's source CI downloads, and its sha256 (lowercase hex) it checks first.
    case archive(url: String, sha256: String)

    /// A git source, or an error saying what is wrong with the URL or the commit.
    public static func checkedGit(url: String, commit: String) throws -> SortieSource {
        try checkURL(url, flag: "--sortie-git")
        let commit = commit.lowercased()
        guard [40, 64].contains(commit.count), commit.allSatisfy(\.isHexDigit) else {
            throw CIError("\"\(commit)\" is not a full commit id (40 hex digits, or 64 in a SHA-256 repository)",
                          hint: "give the whole id, e.g. from `git rev-parse HEAD` in Sortie's checkout; a branch or tag can move")
        }
        return .git(url: url, commit: commit)
    }

    /// An archive source, or an error saying what is wrong with the URL or the digest.
    public static func checkedArchive(url: String, sha256: String) throws -> SortieSource {
        try checkURL(url, flag: "--sortie-archive")
        let digest = sha256.lowercased()
        guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
            throw CIError("\"\(sha256)\" is not a sha256 digest (64 hex digits)", hint: "compute it with `sha256sum ARCHIVE`")
        }
        return .archive(url: url, sha256: digest)
    }

    static func checkURL(_ url: String, flag: String) throws {
        guard !url.isEmpty, !url.contains(where: { $0.isWhitespace || $0 == "\"" || $0 == "'" }) else {
            throw CIError("\"\(url)\" is not a URL CI can fetch", hint: "give \(flag) an https:// (or file://) URL")
        }
    }

    /// What keys the cached binary: the commit, or the archive's digest.
    public var digest: String {
        switch self {
        case .git(_, let commit): commit
        case .archive(_, let sha256): sha256
        }
    }

    /// One line for `sortie ci lock`'s output.
    public var explanation: String {
        switch self {
        case .git(let url, let commit):
            "sortie from \(url) at commit \(commit): the source CI builds, checked out by that commit and verified, built once per commit and cached"
        case .archive(let url, let sha256):
            "sortie from \(url) (sha256 \(sha256.prefix(12))…): the source archive CI builds, verified with sha256sum, built once per digest and cached"
        }
    }

    private enum Keys: String, CodingKey { case git, commit, archive, sha256 }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        do {
            if let url = try container.decodeIfPresent(String.self, forKey: .git) {
                self = try .checkedGit(url: url, commit: try container.decode(String.self, forKey: .commit))
            } else if let url = try container.decodeIfPresent(String.self, forKey: .archive) {
                self = try .checkedArchive(url: url, sha256: try container.decode(String.self, forKey: .sha256))
            } else {
                throw CIError("sortie needs either git and commit, or archive and sha256")
            }
        } catch let error as CIError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .git(let url, let commit):
            try container.encode(url, forKey: .git)
            try container.encode(commit, forKey: .commit)
        case .archive(let url, let sha256):
            try container.encode(url, forKey: .archive)
            try container.encode(sha256, forKey: .sha256)
        }
    }
}
