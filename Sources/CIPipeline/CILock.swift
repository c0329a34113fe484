import Foundation

/// `sortie-ci.lock`: what makes the CI build reproducible, written by `sortie ci lock` and read by
/// the generators. JSON with sorted keys, committed next to `sortie.yml`.
public struct CILock: Codable, Sendable, Equatable {
    /// The build environment, pinned by digest: `ocaml/opam:debian-12-ocaml-4.14@sha256:…`.
    public var image: String?
    /// An `opam switch export --freeze --full` file: the exact compiler and packages (MirageOS).
    public var opamSwitch: PinnedFile?
    /// opam-monorepo's lock file made by `mirage configure` / `make lock`, if the project has one.
    public var opamMonorepoLock: PinnedFile?
    /// Where the pipeline gets Sortie (nil in a lock written before this was recorded: the
    /// generators then refuse to write a pipeline).
    public var sortie: SortieSource?

    public struct PinnedFile: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String

        public init(path: String, sha256: String) {
            self.path = path
            self.sha256 = sha256
        }
    }

    public init(image: String?, opamSwitch: PinnedFile?, opamMonorepoLock: PinnedFile?, sortie: SortieSource?) {
        self.image = image
        self.opamSwitch = opamSwitch
        self.opamMonorepoLock = opamMonorepoLock
        self.sortie = sortie
    }

    public static let fileName = "sortie-ci.lock"

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self) + "\n"
    }

    /// Whether `reference` names an image by digest (`name@sha256:` and 64 hex digits).
    public static func isPinned(_ reference: String) -> Bool {
        guard let at = reference.range(of: "@sha256:") else { return false }
        let digest = reference[at.upperBound...]
        return digest.count == 64 && digest.allSatisfy(\.isHexDigit) && at.lowerBound > reference.startIndex
    }

    /// One line per pin saying what it fixes, for `sortie ci lock`'s output.
    public var explanation: [String] {
        var lines: [String] = []
        if let image {
            lines.append("image \(image): the build job's container, by digest, so the same OS packages and compiler are used on every run")
        }
        if let opamSwitch {
            lines.append("opam switch \(opamSwitch.path) (sha256 \(opamSwitch.sha256.prefix(12))…): exact versions of the compiler and every opam package, imported with `opam switch import`")
        }
        if let opamMonorepoLock {
            lines.append("opam-monorepo lock \(opamMonorepoLock.path) (sha256 \(opamMonorepoLock.sha256.prefix(12))…): the unikernel's library sources at fixed versions, vendored by `make depend`")
        }
        if let sortie { lines.append(sortie.explanation) }
        return lines
    }
}
