import GCEAuth
import Testing

/// The application-default order, decided from facts.
@Suite struct CredentialChooserTests {
    static func facts(env: [String: String] = [:], local: Bool = false, onGCE: Bool = false, gcloud: String? = nil,
                      files: Set<String> = []) -> CredentialFacts {
        CredentialFacts(environment: env, isLocalPlane: local, localTokenPath: "/data/token", onGCE: onGCE, gcloudPath: gcloud,
                        fileExists: { files.contains($0) })
    }

    static let key = ["GOOGLE_APPLICATION_CREDENTIALS": "/keys/sa.json"]

    @Test func order() throws {
        let everything = Self.facts(env: Self.key, onGCE: true, gcloud: "/usr/bin/gcloud", files: ["/keys/sa.json"])
        #expect(try CredentialChooser.choose(Self.facts(env: Self.key, local: true, onGCE: true, files: ["/keys/sa.json"]))
                == .localPlaneToken(path: "/data/token"))
        #expect(try CredentialChooser.choose(everything) == .serviceAccountKey(path: "/keys/sa.json"))
        #expect(try CredentialChooser.choose(Self.facts(onGCE: true, gcloud: "/usr/bin/gcloud")) == .metadataServer(host: "metadata.google.internal"))
        #expect(try CredentialChooser.choose(Self.facts(env: ["GCE_METADATA_HOST": "127.0.0.1:8080"], onGCE: true))
                == .metadataServer(host: "127.0.0.1:8080"))
        #expect(try CredentialChooser.choose(Self.facts(gcloud: "/usr/bin/gcloud")) == .gcloud(executable: "/usr/bin/gcloud"))
        #expect(try CredentialChooser.choose(Self.facts(env: ["GOOGLE_APPLICATION_CREDENTIALS": ""], gcloud: "/g")) == .gcloud(executable: "/g"))
    }

    @Test func keyFileNamedButMissingIsAnError() {
        #expect(throws: AuthError("GOOGLE_APPLICATION_CREDENTIALS names /keys/sa.json, which does not exist",
                                  hint: "point it at a service-account key file, or unset it to use the metadata server or gcloud")) {
            try CredentialChooser.choose(Self.facts(env: Self.key, onGCE: true, gcloud: "/usr/bin/gcloud"))
        }
    }

    @Test func nothingFound() {
        #expect(throws: AuthError.self) { try CredentialChooser.choose(Self.facts()) }
    }

    @Test func credentialsForAKeyFileCarryTheWarning() throws {
        let fixture = try KeyFixture(mode: 0o644)
        let credentials = try Credentials(source: .serviceAccountKey(path: fixture.path))
        #expect(credentials.warnings.count == 1)
        #expect(credentials.provider is ServiceAccountTokenProvider)
        #expect(throws: AuthError.self) { try Credentials(source: .serviceAccountKey(path: fixture.directory + "/none.json")) }
    }
}
