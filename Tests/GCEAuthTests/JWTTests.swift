import Foundation
@testable import GCEAuth
import Testing
import _CryptoExtras

/// The service-account JWT: RS256 over header and claims, verified with the public key.
@Suite struct JWTTests {
    static func decode(_ part: Substring) throws -> Data {
        var text = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return try #require(Data(base64Encoded: text))
    }

    @Test func signedAssertionVerifiesWithThePublicKey() throws {
        let fixture = try KeyFixture(tokenURI: "https://oauth2.googleapis.com/token")
        let issuedAt = Date()
        let jwt = try ServiceAccountJWT.assertion(key: try fixture.load(), issuedAt: issuedAt)
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        try #require(parts.count == 3)
        #expect(!jwt.contains("=") && !jwt.contains("+") && !jwt.contains("/"))

        let signature = _RSA.Signing.RSASignature(rawRepresentation: try Self.decode(parts[2]))
        let signed = Data("\(parts[0]).\(parts[1])".utf8)
        #expect(fixture.privateKey.publicKey.isValidSignature(signature, for: signed, padding: .insecurePKCS1v1_5))
        #expect(!fixture.privateKey.publicKey.isValidSignature(signature, for: Data("tampered".utf8), padding: .insecurePKCS1v1_5))

        let header = try #require(try JSONSerialization.jsonObject(with: Self.decode(parts[0])) as? [String: String])
        #expect(header == ["alg": "RS256", "typ": "JWT", "kid": "0123456789abcdef"])
        let claims = try #require(try JSONSerialization.jsonObject(with: Self.decode(parts[1])) as? [String: Any])
        #expect(claims["iss"] as? String == "deployer@my-project.iam.gserviceaccount.com")
        #expect(claims["scope"] as? String == "https://www.googleapis.com/auth/cloud-platform")
        #expect(claims["aud"] as? String == "https://oauth2.googleapis.com/token")
        let iat = try #require(claims["iat"] as? Double), exp = try #require(claims["exp"] as? Double)
        #expect(abs(iat - issuedAt.timeIntervalSince1970) < 2)
        #expect(abs(exp - iat - 3600) < 2)
        #expect(Set(claims.keys) == ["iss", "scope", "aud", "iat", "exp"])
    }
}
