/// GCE's limits on instance metadata (templates' `properties.metadata`, instances' `metadata`):
/// keys match `[a-zA-Z0-9-_]{1,128}` (discovery document, `Metadata.items[].key` pattern), a value
/// is at most 256 KiB, and "The total size of all keys and values must be less than 512 KB"
/// (discovery document, `Metadata.items`; reference/gce-api.md §2).
enum MetadataRules {
    static let maxValueBytes = 262_144
    static let maxTotalBytes = 512 * 1024

    /// Throws 400 `invalid` for a malformed key, a value over 256 KiB or a total of 512 KB or more;
    /// `field` is the metadata's path (`resource.metadata` or `resource.properties.metadata`).
    static func check(_ metadata: JSONValue?, field: String) throws {
        var total = 0
        var keys = Set<String>()
        for (i, item) in (metadata?["items"]?.array ?? []).enumerated() {
            let key = item["key"]?.string ?? ""
            guard (1...128).contains(key.utf8.count),
                  key.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") })
            else {
                throw APIError.invalid("Invalid value for field '\(field).items[\(i)].key': '\(key)'. Must be a match of regex '[a-zA-Z0-9-_]{1,128}'")
            }
            guard keys.insert(key).inserted else {
                throw APIError.invalid("Invalid value for field '\(field).items[\(i)].key': '\(key)'. Duplicate metadata key.")
            }
            let value = item["value"]?.string ?? ""
            guard value.utf8.count <= maxValueBytes else {
                throw APIError.invalid("Invalid value for field '\(field).items[\(i)].value': a value is at most 262144 bytes (got \(value.utf8.count)).")
            }
            total += key.utf8.count + value.utf8.count
        }
        guard total < maxTotalBytes else {
            throw APIError.invalid("Invalid value for field '\(field)': the total size of all keys and values must be less than 512 KB (got \(total) bytes).")
        }
    }
}
