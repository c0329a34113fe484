/// The shapes of names that GCE (or Sortie) accepts, as whole-string regular expressions.
struct NamePattern: Sendable {
    let pattern: String

    func matches(_ text: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return (try? regex.wholeMatch(in: text)) != nil
    }

    /// An RFC 1035 label as GCE resource names use it: lowercase letter first, no trailing dash.
    static let resourceName = NamePattern(pattern: "[a-z]([-a-z0-9]*[a-z0-9])?")
    static let zone = NamePattern(pattern: "[a-z]+(-[a-z]+)*[0-9]+-[a-z]")
    static let region = NamePattern(pattern: "[a-z]+(-[a-z]+)*[0-9]+")
    static let project = NamePattern(pattern: "[a-z][-a-z0-9]{4,28}[a-z0-9]")
    static let bucket = NamePattern(pattern: "[a-z0-9][-_.a-z0-9]{1,61}[a-z0-9]")
    static let machineType = NamePattern(pattern: "[a-z0-9]+(-[a-z0-9]+)*")
    static let metadataKey = NamePattern(pattern: "[a-zA-Z0-9_-]{1,128}")
    static let httpPath = NamePattern(pattern: "/[!-~]*")
    static let endpoint = NamePattern(pattern: "https?://[^/\\s]+(/[^\\s]*)?")
}
