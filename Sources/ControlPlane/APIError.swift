/// An error answered in Google's shape:
/// `{"error": {"code": 404, "message": "...", "errors": [{"domain": "global", "reason": "notFound", "message": "..."}]}}`.
public struct APIError: Error, Sendable {
    public var status: Int
    public var reason: String
    public var message: String

    public init(_ status: Int, _ reason: String, _ message: String) {
        self.status = status
        self.reason = reason
        self.message = message
    }

    public var body: JSONValue {
        ["error": ["code": .number(Double(status)), "message": .string(message),
                   "errors": [["domain": "global", "reason": .string(reason), "message": .string(message)]]]]
    }

    public static func notFound(_ what: String) -> APIError { APIError(404, "notFound", "The resource '\(what)' was not found") }
    public static func alreadyExists(_ what: String) -> APIError { APIError(409, "alreadyExists", "The resource '\(what)' already exists") }
    public static func invalid(_ message: String) -> APIError { APIError(400, "invalid", message) }
    public static func required(_ field: String) -> APIError { APIError(400, "required", "Required field '\(field)' not specified") }
    public static func inUse(_ what: String, by user: String) -> APIError {
        APIError(400, "resourceInUseByAnotherResource", "The resource '\(what)' is already being used by '\(user)'")
    }
    public static let unauthenticated = APIError(401, "required", "Request is missing required authentication credential. Expected OAuth 2 access token (the token in the plane's data directory).")
    public static let forbidden = APIError(403, "forbidden", "The bearer token is not the one this plane issued.")
    public static func badRequest(_ message: String) -> APIError { APIError(400, "badRequest", message) }
    public static let parseError = APIError(400, "parseError", "The request body is not valid JSON.")
}
