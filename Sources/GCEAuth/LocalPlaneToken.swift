import GCEClient
import Foundation

/// The local plane's token: `sortie serve` writes it (mode 0600) to `DATA/token` at start.
public enum LocalPlaneToken {
    /// A `StaticToken` with the token in `path`, and a warning if others may read the file.
    public static func load(path: String) throws -> (token: StaticToken, warning: AuthWarning?) {
        let file: (bytes: [UInt8], warning: AuthWarning?)
        do {
            file = try SecretFile.read(path, role: "the local plane's token file")
        } catch let error as AuthError {
            throw AuthError(error.message, hint: "start the local plane with `sortie serve` (the token appears when it starts)")
        }
        let token = String(decoding: file.bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw AuthError("the local plane's token file \(path) is empty", hint: "restart `sortie serve` to write a new one")
        }
        return (StaticToken(token), file.warning)
    }
}
