import Foundation

/// Checks request bodies against Compute Engine's schemas (from its discovery document, see
/// `ComputeSchemas.swift`): unknown fields, wrong types, bad enum values, int64 that are not
/// integers — each answered with GCE's 400 `invalid`.
struct SchemaValidator: Sendable {
    static let compute = SchemaValidator(json: computeSchemasJSON)

    let schemas: [String: JSONValue]

    init(json: String) {
        schemas = JSONValue.parse(Data(json.utf8))?.object ?? [:]
    }

    /// Validates `value` as an instance of the schema `name`; `field` names it in messages.
    func validate(_ value: JSONValue, as name: String, field: String = "resource") throws {
        guard let schema = schemas[name] else { return }
        try check(value, schema, field)
    }

    private func check(_ value: JSONValue, _ schema: JSONValue, _ field: String) throws {
        if let ref = schema["$ref"]?.string {
            guard let target = schemas[ref] else { return }
            return try check(value, target, field)
        }
        if case .null = value { return }
        switch schema["type"]?.string {
        case "object":
            guard let object = value.object else { throw typeError(field, "a JSON object", value) }
            let properties = schema["properties"]?.object ?? [:]
            let additional = schema["additionalProperties"]
            for (key, item) in object {
                if let property = properties[key] {
                    try check(item, property, "\(field).\(key)")
                } else if let additional {
                    try check(item, additional, "\(field).\(key)")
                } else {
                    throw APIError(400, "invalid", "Invalid JSON payload received. Unknown name \"\(key)\" at '\(field)': Cannot find field.")
                }
            }
        case "array":
            guard let items = value.array else { throw typeError(field, "a JSON array", value) }
            if let itemSchema = schema["items"] {
                for (i, item) in items.enumerated() { try check(item, itemSchema, "\(field)[\(i)]") }
            }
        case "string":
            switch schema["format"]?.string {
            case "int64", "uint64":
                guard value.int64 != nil || (value.string.map { UInt64($0) != nil } ?? false) else {
                    throw typeError(field, "an integer (int64, as a JSON string)", value)
                }
            default:
                guard let text = value.string else { throw typeError(field, "a string", value) }
                if let allowed = schema["enum"]?.array?.compactMap(\.string), !allowed.isEmpty, !allowed.contains(text) {
                    throw APIError(400, "invalid", "Invalid value for field '\(field)': '\(text)'. Must be one of \(allowed.joined(separator: ", ")).")
                }
            }
        case "integer":
            guard let n = value.number, n == n.rounded() else {
                if let text = value.string, Int64(text) != nil { return } // the JSON parser accepts quoted integers
                throw typeError(field, "an integer", value)
            }
        case "number":
            guard value.number != nil else { throw typeError(field, "a number", value) }
        case "boolean":
            guard value.bool != nil else { throw typeError(field, "true or false", value) }
        default:
            break
        }
    }

    private func typeError(_ field: String, _ expected: String, _ value: JSONValue) -> APIError {
        let shown = String(decoding: value.data, as: UTF8.self).prefix(80)
        return APIError(400, "invalid", "Invalid value at '\(field)': expected \(expected), got \(shown).")
    }
}
