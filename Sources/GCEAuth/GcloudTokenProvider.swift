import GCEClient
import Foundation
import ImageBuilder

/// Access tokens from `gcloud auth print-access-token` (run directly, no shell). gcloud does not
/// say when its token expires but refreshes it when fewer than a few minutes are left, so one
/// is reused for 3 minutes.
public struct GcloudTokenProvider: AccessTokenProvider, CustomStringConvertible {
    public let executable: String
    let runner: CommandRunner
    let cache: TokenCache
    static let reuseSeconds: TimeInterval = 3 * 60

    public init(executable: String, runner: CommandRunner = SystemCommandRunner(), now: @escaping @Sendable () -> Date = Date.init) {
        self.executable = executable
        self.runner = runner
        cache = TokenCache(margin: 0, now: now)
    }

    public var description: String { "gcloud (\(executable))" }

    public func accessToken() async throws -> String {
        let (executable, runner) = (self.executable, self.runner)
        return try await cache.token { _ in
            let result: CommandResult
            do {
                result = try runner.run(executable, ["auth", "print-access-token"])
            } catch {
                throw AuthError("cannot run \(executable): \(error)")
            }
            let token = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
            guard result.status == 0, !token.isEmpty, !token.contains(where: \.isWhitespace) else {
                let reason = result.errorOutput.split(separator: "\n").last.map { ": " + $0 } ?? ""
                throw AuthError("`gcloud auth print-access-token` failed (exit status \(result.status))\(reason)",
                                hint: "run `gcloud auth login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file")
            }
            return IssuedToken(accessToken: token, expiresIn: Self.reuseSeconds)
        }
    }
}
