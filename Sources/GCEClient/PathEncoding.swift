import Foundation

/// Percent-encoding of path segments and query values: everything but RFC 3986's unreserved
/// characters is escaped, so object names with `/` become one segment (`%2F`).
enum PathEncoding {
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func segment(_ text: String, keepSlashes: Bool = false) -> String {
        let allowed = keepSlashes ? unreserved.union(CharacterSet(charactersIn: "/")) : unreserved
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// `?a=1&b=x%20y`, or the empty string.
    static func query(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        return "?" + items.map { "\(segment($0.0))=\(segment($0.1))" }.joined(separator: "&")
    }
}
