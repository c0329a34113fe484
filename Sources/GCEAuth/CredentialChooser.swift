/// Where a target's access tokens come from.
public enum CredentialSource: Sendable, Equatable, CustomStringConvertible {
    /// The local plane's token file (target `local`).
    case localPlaneToken(path: String)
    /// A service-account key file named by `GOOGLE_APPLICATION_CREDENTIALS`.
    case serviceAccountKey(path: String)
    /// The GCE metadata server (Sortie runs on a GCE instance).
    case metadataServer(host: String)
    /// `gcloud auth print-access-token`.
    case gcloud(executable: String)

    public var description: String {
        switch self {
        case .localPlaneToken(let path): "the local plane's token (\(path))"
        case .serviceAccountKey(let path): "the service-account key \(path) (GOOGLE_APPLICATION_CREDENTIALS)"
        case .metadataServer(let host): "the metadata server \(host)"
        case .gcloud(let executable): "gcloud auth print-access-token (\(executable))"
        }
    }
}

/// What the choice of credentials depends on, gathered by the caller (see `CredentialFacts.gather`).
public struct CredentialFacts: Sendable {
    /// The process environment (`GOOGLE_APPLICATION_CREDENTIALS`, `GCE_METADATA_HOST`).
    public var environment: [String: String]
    /// Whether the target is the local plane.
    public var isLocalPlane: Bool
    /// Where the local plane keeps its token.
    public var localTokenPath: String
    /// Whether this machine is a GCE instance.
    public var onGCE: Bool
    /// `gcloud` on the `PATH`, if any.
    public var gcloudPath: String?
    /// Whether a file exists (for the key file's path).
    public var fileExists: @Sendable (String) -> Bool

    public init(environment: [String: String], isLocalPlane: Bool, localTokenPath: String, onGCE: Bool, gcloudPath: String?,
                fileExists: @escaping @Sendable (String) -> Bool) {
        self.environment = environment
        self.isLocalPlane = isLocalPlane
        self.localTokenPath = localTokenPath
        self.onGCE = onGCE
        self.gcloudPath = gcloudPath
        self.fileExists = fileExists
    }
}

/// Google's application-default order, decided from facts alone: the local plane's token for
/// `local`; otherwise a key file named by `GOOGLE_APPLICATION_CREDENTIALS`, the metadata server
/// on GCE, then gcloud.
public enum CredentialChooser {
    public static func choose(_ facts: CredentialFacts) throws -> CredentialSource {
        if facts.isLocalPlane { return .localPlaneToken(path: facts.localTokenPath) }
        if let path = facts.environment["GOOGLE_APPLICATION_CREDENTIALS"], !path.isEmpty {
            guard facts.fileExists(path) else {
                throw AuthError("GOOGLE_APPLICATION_CREDENTIALS names \(path), which does not exist",
                                hint: "point it at a service-account key file, or unset it to use the metadata server or gcloud")
            }
            return .serviceAccountKey(path: path)
        }
        if facts.onGCE {
            let host = facts.environment["GCE_METADATA_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? MetadataServerTokenProvider.defaultHost
            return .metadataServer(host: host)
        }
        if let gcloud = facts.gcloudPath { return .gcloud(executable: gcloud) }
        throw AuthError("no Google Cloud credentials found",
                        hint: "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, run on a GCE instance, or install gcloud and run `gcloud auth login`")
    }
}
