import Foundation
@testable import GCEAuth
import _CryptoExtras

/// A freshly generated RSA key written as a service-account key file.
struct KeyFixture {
    let privateKey: _RSA.Signing.PrivateKey
    let directory: String
    let path: String

    init(tokenURI: String = "https://oauth2.googleapis.com/token", mode: Int = 0o600, type: String = "service_account") throws {
        privateKey = try Self.sharedKey()
        directory = NSTemporaryDirectory() + "gceauth-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/key.json"
        let json: [String: String] = [
            "type": type, "project_id": "my-project", "private_key_id": "0123456789abcdef",
            "private_key": privateKey.pkcs8PEMRepresentation, "client_email": "deployer@my-project.iam.gserviceaccount.com",
            "client_id": "1234567890", "token_uri": tokenURI,
        ]
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        chmod(path, mode_t(mode))
    }

    /// One 2048-bit key for the whole run (generating one takes a moment).
    private static let key = Result { try _RSA.Signing.PrivateKey(keySize: .bits2048) }
    static func sharedKey() throws -> _RSA.Signing.PrivateKey { try key.get() }

    func load() throws -> ServiceAccountKey { try ServiceAccountKey.load(path: path).key }
}
