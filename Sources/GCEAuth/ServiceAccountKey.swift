import Foundation
import _CryptoExtras

/// A Google service-account key file (the JSON `gcloud iam service-accounts keys create` writes).
///
/// Only the fields Sortie needs are kept. The private key never leaves this value: `description`
/// shows the account and key id only.
public struct ServiceAccountKey: Sendable, CustomStringConvertible {
    /// `client_email`: the account, the JWT's issuer.
    public let clientEmail: String
    /// `private_key_id`: the JWT header's `kid`.
    public let privateKeyID: String
    /// `token_uri`: where the JWT is exchanged for an access token (also its audience).
    public let tokenURI: String
    let privateKey: _RSA.Signing.PrivateKey

    /// Google's token endpoint, used when a key file has no `token_uri`.
    public static let defaultTokenURI = "https://oauth2.googleapis.com/token"

    public var description: String { "service account \(clientEmail) (key \(privateKeyID))" }

    /// The key in `json`; `source` names the file in messages.
    public init(json: [UInt8], source: String) throws {
        struct File: Decodable {
            var type: String?
            var client_email: String?
            var private_key_id: String?
            var private_key: String?
            var token_uri: String?
        }
        guard let file = try? JSONDecoder().decode(File.self, from: Data(json)) else {
            throw AuthError("\(source) is not a JSON key file", hint: "download a service-account key as JSON")
        }
        guard file.type == "service_account" else {
            let kind = file.type.map { "a \"\($0)\" credentials file" } ?? "a JSON file without a \"type\""
            throw AuthError("\(source) is \(kind), not a service-account key",
                            hint: "use a key from `gcloud iam service-accounts keys create`; for your own account, run `gcloud auth login` and unset GOOGLE_APPLICATION_CREDENTIALS")
        }
        func field(_ value: String?, _ name: String) throws -> String {
            guard let value, !value.isEmpty else { throw AuthError("the service-account key \(source) has no \"\(name)\"") }
            return value
        }
        clientEmail = try field(file.client_email, "client_email")
        privateKeyID = try field(file.private_key_id, "private_key_id")
        tokenURI = file.token_uri ?? Self.defaultTokenURI
        let pem = try field(file.private_key, "private_key")
        do {
            privateKey = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw AuthError("the private_key in \(source) is not a PEM RSA private key of 2048 bits or more",
                            hint: "the file may be damaged; create a new key")
        }
    }

    /// Reads the key file at `path`, with a warning if others may read it.
    public static func load(path: String) throws -> (key: ServiceAccountKey, warning: AuthWarning?) {
        let (bytes, warning) = try SecretFile.read(path, role: "the service-account key file")
        return (try ServiceAccountKey(json: bytes, source: path), warning)
    }

    /// An RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256) over `data`.
    func sign(_ data: [UInt8]) throws -> [UInt8] {
        [UInt8](try privateKey.signature(for: data, padding: .insecurePKCS1v1_5).rawRepresentation)
    }
}
