import StorageChecksums

extension ObjectChecksums {
    /// Checksums of a stored blob; a blob that cannot be read is the plane's fault (500).
    static func of(file path: String) throws -> ObjectChecksums {
        do {
            return try ObjectChecksums.of(fileAt: path)
        } catch {
            throw APIError(500, "backendError", "cannot read stored data")
        }
    }
}
