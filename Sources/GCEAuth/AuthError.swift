import DiskImage

/// Why no access token could be had: a missing or malformed key file, a refused token request,
/// no credentials at all. Messages never contain a key, an assertion or a token.
public struct AuthError: UserFacingError, Equatable {
    public let message: String
    public let hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}

/// Something the user should fix that does not stop authentication (a key file others can
/// read). Returned, never printed: the executable shows it.
public struct AuthWarning: Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
