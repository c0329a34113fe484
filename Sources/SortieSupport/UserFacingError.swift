/// An error a user can act on: what went wrong, and what to do about it.
///
/// Every error that reaches the command line conforms, so the executable can print one
/// consistent message (`error: ...` then `hint: ...`) and pick a non-zero exit status.
public protocol UserFacingError: Error, CustomStringConvertible {
    /// What went wrong, naming the file or value involved.
    var message: String { get }
    /// What to try next, if there is something useful to say.
    var hint: String? { get }
}

extension UserFacingError {
    public var description: String {
        if let hint { return "\(message)\nhint: \(hint)" }
        return message
    }
}

/// The one shape of a user-facing error: what went wrong and what to try. Modules name it after
/// their concern (`MachineError`, `FileError`, `AuthError`, `CIError`), so a signature still says
/// where an error comes from.
public struct UserError: UserFacingError, Equatable, Sendable {
    public let message: String
    public let hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
