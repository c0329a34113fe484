import DiskImage
import GCEClient
import SortieSupport

/// A pipeline failure the user can act on: which step, why, what to try next, and for a guest
/// that did not come up, the tail of its serial console.
public struct DeployError: UserFacingError {
    public var step: String
    public var reason: String
    public var hint: String?
    /// The last console lines of the guest that failed, if any.
    public var console: [String]
    /// Whether the target was put back to the release it ran before.
    public var rolledBack: Bool

    public init(step: String, reason: String, hint: String? = nil, console: [String] = [], rolledBack: Bool = false) {
        self.step = step
        self.reason = reason
        self.hint = hint
        self.console = console
        self.rolledBack = rolledBack
    }

    public var message: String {
        var text = "\(step) failed: \(reason)"
        if !console.isEmpty {
            text += "\nlast console lines:\n" + console.map { "  | \($0)" }.joined(separator: "\n")
        }
        return text
    }

    /// Wraps an API or transport error of `step` with the client's hint.
    public static func api(_ step: String, _ error: any Error) -> DeployError {
        if let error = error as? DeployError { return error }
        if let error = error as? UserFacingError { return DeployError(step: step, reason: error.message, hint: error.hint) }
        if let error = error as? GCEAPIError { return DeployError(step: step, reason: error.description, hint: error.hint) }
        if let error = error as? GCEClientError {
            return DeployError(step: step, reason: error.description,
                               hint: "check that the target's endpoint is reachable (for the local plane: is `sortie serve` running?), then run the command again: it resumes")
        }
        if let error = error as? OperationFailedError {
            return DeployError(step: step, reason: error.description, hint: "run the command again: every step resumes where it stopped")
        }
        return DeployError(step: step, reason: "\(error)")
    }
}
