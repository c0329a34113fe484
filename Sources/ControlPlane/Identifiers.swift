import Foundation
import SortieSupport

/// Names, ids and timestamps as GCE writes them.
public enum Identifiers {
    /// RFC 1035 labels: what GCE accepts as a resource name.
    public static func validateName(_ name: String, field: String = "name") throws {
        guard !name.isEmpty else { throw APIError.required(field) }
        let ok = name.count <= 63 && name.range(of: "^[a-z]([-a-z0-9]*[a-z0-9])?$", options: .regularExpression) != nil
        guard ok else {
            throw APIError.invalid("Invalid value for field '\(field)': '\(name)'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'")
        }
    }

    /// A 64-bit unsigned id, as GCE's (a decimal string).
    public static func newID() -> String { String(UInt64.random(in: 1_000_000_000_000_000_000...UInt64.max)) }

    /// RFC 3339 with milliseconds and an explicit offset, like `2026-11-27T17:41:30.123+00:00`.
    public static func timestamp(_ date: Date = Date()) -> String { CivilTime.rfc3339(date) }

    /// A new operation name, unique and sortable like GCE's.
    public static func operationName() -> String {
        let ms = Int64(Date().timeIntervalSince1970 * 1000)
        return "operation-\(ms)-\(String(UInt64.random(in: 0...UInt64(UInt32.max)), radix: 16))"
    }

    /// A random token for bearer auth and upload ids.
    public static func randomToken(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in
            let b = UInt8.random(in: 0...255, using: &generator)
            return String(b, radix: 16).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16)
        }.joined()
    }
}
