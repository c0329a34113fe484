extension JSONValue {
    /// RFC 7386 JSON merge patch: objects merge recursively, `null` removes, anything else replaces.
    func mergePatched(with patch: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        var result = self.object ?? [:]
        for (key, value) in changes {
            if case .null = value { result[key] = nil }
            else if case .object = value, let existing = result[key], case .object = existing { result[key] = existing.mergePatched(with: value) }
            else { result[key] = value }
        }
        return .object(result)
    }
}
