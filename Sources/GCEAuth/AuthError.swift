import SortieSupport

/// Why credentials could not be found or used (never with a secret in it).
public typealias AuthError = UserError

/// Something the user should fix that does not stop authentication (a key file others can
/// read). Returned, never printed: the executable shows it.
public struct AuthWarning: Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
