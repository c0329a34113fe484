import Foundation
import ImageBuilder
import SortieSupport

extension CredentialFacts {
    /// The facts of this machine: GCE when `GCE_METADATA_HOST` is set or the DMI product name
    /// says Google (no network probe), gcloud from the `PATH` in `environment`.
    public static func gather(environment: [String: String], isLocalPlane: Bool, localTokenPath: String) -> CredentialFacts {
        CredentialFacts(environment: environment, isLocalPlane: isLocalPlane, localTokenPath: localTokenPath,
                        onGCE: onGCE(environment: environment), gcloudPath: ExecutableSearch.find("gcloud", environment: environment),
                        fileExists: { FileManager.default.fileExists(atPath: $0) })
    }

    static let dmiProductName = "/sys/class/dmi/id/product_name"

    static func onGCE(environment: [String: String]) -> Bool {
        if let host = environment["GCE_METADATA_HOST"], !host.isEmpty { return true }
        guard let product = try? String(contentsOfFile: dmiProductName, encoding: .utf8) else { return false }
        return product.hasPrefix("Google")
    }
}
