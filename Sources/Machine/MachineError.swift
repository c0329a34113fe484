import DiskImage

/// A failure starting or running a guest, with what to do about it.
public struct MachineError: UserFacingError {
    public let message: String
    public let hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
