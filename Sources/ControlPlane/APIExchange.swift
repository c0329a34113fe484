import Foundation
import HTTPTypes

/// A request as the plane's handlers see it, independent of the HTTP server.
public struct APIRequest: Sendable {
    public var method: String
    /// The path split on `/` and percent-decoded, so `%2F` inside an object name stays in one segment.
    public var segments: [String]
    public var path: String
    public var query: [String: String]
    /// The request's header fields as received (names compare case-insensitively).
    public var headers: HTTPFields
    public var body: Data

    public init(method: String, rawPath: String, query: [String: String], headers: HTTPFields, body: Data) {
        self.method = method.uppercased()
        self.path = rawPath
        self.segments = rawPath.split(separator: "/", omittingEmptySubsequences: true).map {
            String($0).removingPercentEncoding ?? String($0)
        }
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The body as JSON; `parseError` if it is not JSON, an empty object if there is no body.
    public func json() throws -> JSONValue {
        if body.isEmpty { return [:] }
        guard let value = JSONValue.parse(body) else { throw APIError.parseError }
        guard case .object = value else { throw APIError.invalid("The request body must be a JSON object.") }
        return value
    }

    /// Parses `a=1&b=x%20y` into a dictionary (the last value of a repeated key wins).
    public static func parseQuery(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let key = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[1])) : ""
            out[key] = value
        }
        return out
    }
}

/// A response: JSON for the API, bytes for media.
public struct APIResponse: Sendable {
    public var status: Int
    public var headers: HTTPFields
    public var body: Data
    /// The JSON this body encodes, kept for the exchange log.
    public var json: JSONValue?

    public init(status: Int = 200, json: JSONValue, headers: HTTPFields = [:]) {
        self.status = status
        self.json = json
        self.body = json.data
        self.headers = [.contentType: "application/json; charset=UTF-8"]
        self.headers.append(contentsOf: headers)
    }

    public init(status: Int, body: Data, headers: HTTPFields) {
        self.status = status
        self.body = body
        self.headers = headers
        self.json = nil
    }

    public static func error(_ error: APIError) -> APIResponse { APIResponse(status: error.status, json: error.body) }
}

/// Header names of the Cloud Storage API and of the plane itself.
extension HTTPField.Name {
    static let xUploadContentType = Self("X-Upload-Content-Type")!
    static let xUploadContentLength = Self("X-Upload-Content-Length")!
    static let xGUploaderUploadID = Self("X-GUploader-UploadID")!
    static let xGoogGeneration = Self("X-Goog-Generation")!
    static let xGoogMetageneration = Self("X-Goog-Metageneration")!
    static let xGoogHash = Self("X-Goog-Hash")!
    static let xGoogStoredContentLength = Self("X-Goog-Stored-Content-Length")!
    /// Tells the server to drop the connection instead of answering (an injected fault).
    static let sortieDropConnection = Self("X-Sortie-Drop-Connection")!
}
