import Foundation

/// The `requestId` of one logical Compute mutation: a UUID sent with every retry of that request,
/// so the server performs it once and answers retries with the same operation. Make one per
/// mutation; persist it to resume a mutation after a crash with the same identity.
public struct RequestID: Sendable, Hashable, Codable, CustomStringConvertible {
    public let value: String

    /// A new random UUID.
    public init() { value = UUID().uuidString.lowercased() }

    /// A known identifier (a UUID, not all zeros).
    public init(_ value: String) { self.value = value }

    public var description: String { value }
}
