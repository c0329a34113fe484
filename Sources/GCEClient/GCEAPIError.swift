import Foundation

/// An error answer of the Compute Engine or Cloud Storage API:
/// `{"error": {"code": 404, "message": "...", "errors": [{"reason": "notFound", "message": "...", "domain": "global"}]}}`.
/// Bodies that are empty or not in that shape still give the status and a short excerpt.
public struct GCEAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One entry of `error.errors[]`.
    public struct Detail: Sendable, Equatable, Codable {
        public var reason: String?
        public var message: String?
        public var domain: String?

        public init(reason: String? = nil, message: String? = nil, domain: String? = nil) {
            self.reason = reason
            self.message = message
            self.domain = domain
        }
    }

    /// The HTTP status.
    public var status: Int
    /// `error.message`, or the start of an unexpected body.
    public var message: String
    /// `error.errors[]`.
    public var details: [Detail]
    /// `error.status` of newer answers, e.g. `RESOURCE_EXHAUSTED`.
    public var statusName: String?
    /// What was asked: method and path, without the query (which may hold an upload session).
    public var request: String

    public init(status: Int, message: String, details: [Detail] = [], statusName: String? = nil, request: String = "") {
        self.status = status
        self.message = message
        self.details = details
        self.statusName = statusName
        self.request = request
    }

    /// The first `reason`, e.g. `notFound`, `alreadyExists`, `resourceNotReady`, `rateLimitExceeded`.
    public var reason: String? { details.first { $0.reason != nil }?.reason }

    /// Whether the resource does not exist (404).
    public var isNotFound: Bool { status == 404 }
    /// Whether the name is taken (409 `alreadyExists`, or Cloud Storage's 409 `conflict` for a bucket).
    public var isAlreadyExists: Bool { status == 409 && reason != "operationInProgress" }
    /// Whether a precondition (`ifGenerationMatch`, a fingerprint) failed (412).
    public var isPreconditionFailed: Bool { status == 412 }

    /// Parses an error response; never fails.
    public static func parse(status: Int, body: Data, request: String = "") -> GCEAPIError {
        struct Envelope: Decodable {
            struct Body: Decodable {
                var code: Int?
                var message: String?
                var status: String?
                var errors: [Detail]?
            }
            var error: Body
        }
        if let envelope = try? JSONDecoder().decode(Envelope.self, from: body) {
            let details = envelope.error.errors ?? []
            let message = envelope.error.message ?? details.first?.message ?? Self.statusText(status)
            return GCEAPIError(status: status, message: message, details: details, statusName: envelope.error.status,
                               request: request)
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return GCEAPIError(status: status, message: text.isEmpty ? Self.statusText(status) : text, request: request)
    }

    static func statusText(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 409: return "Conflict"
        case 412: return "Precondition Failed"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "HTTP \(status)"
        }
    }

    /// What the user can do about it.
    public var hint: String {
        switch (status, reason) {
        case (401, _):
            return "the access token was refused: check the credentials (for sortie serve, the token file in its data directory)"
        case (403, "rateLimitExceeded"), (403, "userRateLimitExceeded"), (429, _):
            return "the API is rate limiting this project: wait a little and run again"
        case (403, _):
            return "the credentials lack permission: grant the account the Compute and Storage roles, or use another account"
        case (404, _):
            return "check the project, zone or region and the resource's name"
        case (409, _):
            return "the name is taken: choose another name, or delete the existing resource"
        case (412, _):
            return "the resource changed meanwhile (or the object already exists): read it again and retry"
        case (400, "resourceNotReady"):
            return "a resource this one needs is not ready yet: wait and run again"
        case (400, "resourceInUseByAnotherResource"):
            return "another resource still uses it: remove that reference first"
        case (400, _):
            return "the request was rejected as invalid: check the configuration values named in the message"
        case (500..., _):
            return "the service failed: run again later"
        default:
            return "see the message"
        }
    }

    public var description: String {
        let what = request.isEmpty ? "the request" : request
        let reasonText = reason.map { " \($0)" } ?? ""
        return "\(what) failed with \(status)\(reasonText): \(message) (\(hint))"
    }
}
