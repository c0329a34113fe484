import Foundation
@testable import GCEAuth
@testable import ImageBuilder
import Testing

/// Token exchange against a token endpoint on loopback, through the production transport.
@Suite struct TokenProviderTests {
    static let formPrefix = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="

    @Test func exchangesTheJWTAndCachesTheToken() async throws {
        let server = TokenServer()
        await server.answer(.token("ya29.first", expiresIn: 3600), .token("ya29.second", expiresIn: 3600))
        try await server.serve { base in
            let fixture = try KeyFixture(tokenURI: base + "/token")
            let clock = ManualClock()
            let provider = ServiceAccountTokenProvider(key: try fixture.load(), now: { clock.now })

            #expect(try await provider.accessToken() == "ya29.first")
            let first = try #require(await server.requests.first)
            #expect(first.method == "POST" && first.path == "/token")
            #expect(first.headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(first.body.hasPrefix(Self.formPrefix))
            let assertion = String(first.body.dropFirst(Self.formPrefix.count))
            #expect(assertion.split(separator: ".").count == 3)
            #expect(assertion.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) })

            clock.advance(by: 3600 - 61)
            #expect(try await provider.accessToken() == "ya29.first")
            #expect(await server.requests.count == 1, "a fresh cached token must not cause a request")

            clock.advance(by: 2)
            #expect(try await provider.accessToken() == "ya29.second")
            #expect(await server.requests.count == 2, "within 60 s of expiry the token is fetched again")
        }
    }

    @Test func concurrentCallersShareOneRequest() async throws {
        let server = TokenServer()
        await server.answer(.token("ya29.shared"))
        try await server.serve { base in
            let provider = ServiceAccountTokenProvider(key: try KeyFixture(tokenURI: base + "/token").load())
            let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 { group.addTask { try await provider.accessToken() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(tokens == Array(repeating: "ya29.shared", count: 8))
            #expect(await server.requests.count == 1)
        }
    }

    @Test func refusalsGiveClearErrorsWithoutTheAssertion() async throws {
        let server = TokenServer()
        await server.answer(TokenServer.Answer(status: 400, body: #"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#),
                            TokenServer.Answer(status: 503, body: "<html>unavailable</html>"))
        try await server.serve { base in
            let provider = ServiceAccountTokenProvider(key: try KeyFixture(tokenURI: base + "/token").load())
            for expected in [
                "the token endpoint \(base)/token refused the token request with HTTP 400: invalid_grant: Invalid JWT Signature.",
                "the token endpoint \(base)/token refused the token request with HTTP 503",
            ] {
                do {
                    _ = try await provider.accessToken()
                    Issue.record("expected a refusal")
                } catch let error as AuthError {
                    #expect(error.message == expected)
                    let assertion = String(await server.requests.last!.body.dropFirst(Self.formPrefix.count))
                    #expect(!error.description.contains(assertion))
                    #expect(!error.description.contains("eyJ"), "no part of a JWT in an error")
                }
            }
        }
    }

    struct Unreachable: TokenTransport {
        struct Refused: Error, CustomStringConvertible { var description: String { "connection refused" } }
        func send(_ request: TokenRequest) async throws -> TokenResponse { throw Refused() }
    }

    @Test func unreachableEndpoint() async throws {
        let provider = ServiceAccountTokenProvider(key: try KeyFixture(tokenURI: "http://127.0.0.1:1/token").load(), transport: Unreachable())
        do {
            _ = try await provider.accessToken()
            Issue.record("expected an error")
        } catch let error as AuthError {
            #expect(error.message == "cannot reach the token endpoint http://127.0.0.1:1/token: connection refused")
        }
    }

    @Test func metadataServer() async throws {
        let server = TokenServer()
        await server.answer(.token("ya29.instance", expiresIn: 1800))
        try await server.serve { (base: String) async throws in
            let provider = MetadataServerTokenProvider(host: String(base.dropFirst("http://".count)))
            #expect(try await provider.accessToken() == "ya29.instance")
            #expect(try await provider.accessToken() == "ya29.instance")
            let requests = await server.requests
            #expect(requests.count == 1)
            #expect(requests.first?.method == "GET")
            #expect(requests.first?.path == "/computeMetadata/v1/instance/service-accounts/default/token")
            #expect(requests.first?.headers["metadata-flavor"] == "Google")
        }
    }

    struct FakeGcloud: CommandRunner {
        let result: CommandResult
        let calls = Counter()
        func run(_ executable: String, _ arguments: [String]) throws -> CommandResult {
            precondition(arguments == ["auth", "print-access-token"])
            calls.increment()
            return result
        }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func increment() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }

    @Test func gcloudTokenIsReusedForThreeMinutes() async throws {
        let runner = FakeGcloud(result: CommandResult(status: 0, output: "ya29.gcloud\n", errorOutput: ""))
        let clock = ManualClock()
        let provider = GcloudTokenProvider(executable: "/usr/bin/gcloud", runner: runner, now: { clock.now })
        #expect(try await provider.accessToken() == "ya29.gcloud")
        clock.advance(by: 170)
        #expect(try await provider.accessToken() == "ya29.gcloud")
        #expect(runner.calls.value == 1)
        clock.advance(by: 20)
        _ = try await provider.accessToken()
        #expect(runner.calls.value == 2)
    }

    @Test func gcloudFailure() async throws {
        let runner = FakeGcloud(result: CommandResult(status: 1, output: "",
                                                      errorOutput: "ERROR: (gcloud.auth.print-access-token) You do not currently have an active account selected.\n"))
        let provider = GcloudTokenProvider(executable: "/usr/bin/gcloud", runner: runner)
        await #expect(throws: AuthError("`gcloud auth print-access-token` failed (exit status 1): ERROR: (gcloud.auth.print-access-token) You do not currently have an active account selected.",
                                        hint: "run `gcloud auth login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file")) {
            try await provider.accessToken()
        }
    }

    @Test func localPlaneToken() async throws {
        let fixture = try KeyFixture()
        let path = fixture.directory + "/token"
        try Data("local-token\n".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        let (token, warning) = try LocalPlaneToken.load(path: path)
        #expect(try await token.accessToken() == "local-token")
        #expect(warning == nil)
        #expect(throws: AuthError("the local plane's token file /nonexistent/token does not exist",
                                  hint: "start the local plane with `sortie serve` (the token appears when it starts)")) {
            try LocalPlaneToken.load(path: "/nonexistent/token")
        }
    }
}
