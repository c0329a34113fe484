import Foundation

/// The signed JWT a service account exchanges for an access token (Google's OAuth 2.0 for
/// server-to-server applications): header `{"alg":"RS256","typ":"JWT","kid":...}`, claims
/// `iss`, `scope`, `aud` (the token URI), `iat` and `exp` one hour later.
public enum ServiceAccountJWT {
    /// Full access to Google Cloud APIs, limited by the account's IAM roles.
    public static let cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"
    /// The longest lifetime Google accepts.
    public static let lifetime: TimeInterval = 3600

    /// The compact JWT (`header.claims.signature`, base64url without padding).
    public static func assertion(key: ServiceAccountKey, scope: String = cloudPlatformScope, issuedAt: Date) throws -> String {
        struct Header: Encodable { let alg = "RS256", typ = "JWT", kid: String }
        struct Claims: Encodable { let iss: String, scope: String, aud: String, iat: Int, exp: Int }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let iat = Int(issuedAt.timeIntervalSince1970)
        let header = try encoder.encode(Header(kid: key.privateKeyID))
        let claims = try encoder.encode(Claims(iss: key.clientEmail, scope: scope, aud: key.tokenURI, iat: iat, exp: iat + Int(lifetime)))
        let signingInput = base64URL(header) + "." + base64URL(claims)
        return signingInput + "." + base64URL(try key.sign(Array(signingInput.utf8)))
    }

    /// Base64url without padding (RFC 7515).
    static func base64URL<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
