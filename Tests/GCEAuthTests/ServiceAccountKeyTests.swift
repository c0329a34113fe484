import Foundation
@testable import GCEAuth
import Testing

/// Key files: read, described without the key, checked for permissions, and refused clearly.
@Suite struct ServiceAccountKeyTests {
    @Test func readsAKeyFile() throws {
        let fixture = try KeyFixture()
        let (key, warning) = try ServiceAccountKey.load(path: fixture.path)
        #expect(warning == nil)
        #expect(key.clientEmail == "deployer@my-project.iam.gserviceaccount.com")
        #expect(key.privateKeyID == "0123456789abcdef")
        #expect(key.tokenURI == "https://oauth2.googleapis.com/token")
        #expect("\(key)" == "service account deployer@my-project.iam.gserviceaccount.com (key 0123456789abcdef)")
        #expect(!String(reflecting: key).contains("PRIVATE KEY"))
    }

    @Test(arguments: [(0o644, "anyone on this machine"), (0o640, "its group"), (0o604, "anyone on this machine")])
    func warnsWhenOthersCanRead(_ mode: Int, _ who: String) throws {
        let fixture = try KeyFixture(mode: mode)
        let warning = try #require(try ServiceAccountKey.load(path: fixture.path).warning)
        #expect(warning.message == "the service-account key file \(fixture.path) can be read by \(who) (mode \(String(mode, radix: 8))); run: chmod 600 \(fixture.path)")
    }

    @Test func missingFile() {
        do {
            _ = try ServiceAccountKey.load(path: "/nonexistent/key.json")
            Issue.record("loaded a missing file")
        } catch let error as AuthError {
            #expect(error.message == "the service-account key file /nonexistent/key.json does not exist")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func malformedJSON() throws {
        let fixture = try KeyFixture()
        try Data("{\"type\": \"service_account\", ".utf8).write(to: URL(fileURLWithPath: fixture.path))
        #expect(throws: AuthError("\(fixture.path) is not a JSON key file", hint: "download a service-account key as JSON")) {
            try ServiceAccountKey.load(path: fixture.path)
        }
    }

    @Test func notAServiceAccount() throws {
        let fixture = try KeyFixture(type: "authorized_user")
        do {
            _ = try ServiceAccountKey.load(path: fixture.path)
            Issue.record("accepted an authorized_user file")
        } catch let error as AuthError {
            #expect(error.message == "\(fixture.path) is a \"authorized_user\" credentials file, not a service-account key")
            #expect(!error.description.contains("PRIVATE KEY"))
        }
    }

    @Test func badPEM() throws {
        let fixture = try KeyFixture()
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.path))) as! [String: String]
        json["private_key"] = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ1dC1ub3QtYS1rZXk=\n-----END PRIVATE KEY-----\n"
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: fixture.path))
        do {
            _ = try ServiceAccountKey.load(path: fixture.path)
            Issue.record("accepted a bad PEM")
        } catch let error as AuthError {
            #expect(error.message == "the private_key in \(fixture.path) is not a PEM RSA private key of 2048 bits or more")
            #expect(!error.description.contains("c2VjcmV0"))
        }
    }

    @Test func missingField() throws {
        let fixture = try KeyFixture()
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.path))) as! [String: String]
        json["client_email"] = nil
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: fixture.path))
        #expect(throws: AuthError("the service-account key \(fixture.path) has no \"client_email\"")) {
            try ServiceAccountKey.load(path: fixture.path)
        }
    }
}
