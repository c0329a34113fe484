/// `ci:` how `sortie ci` writes the CI pipeline. Every key is optional.
public struct CISettings: Sendable, Equatable {
    /// `branch`: pushes to it deploy; default `main`.
    public var branch: String
    /// `deploy`: the targets the pipeline deploys to, in order; default every cloud target, or
    /// `local` (a plane started in the CI job) when there is none.
    public var deploy: [String]
    /// `secret`: the CI secret holding the service-account key; default `GCP_SERVICE_ACCOUNT_KEY`.
    public var secret: String

    public init(branch: String = "main", deploy: [String] = [], secret: String = "GCP_SERVICE_ACCOUNT_KEY") {
        self.branch = branch
        self.deploy = deploy
        self.secret = secret
    }

    static let keys = ["branch", "deploy", "secret"]
    static let secretPattern = NamePattern(pattern: "[A-Z_][A-Z0-9_]*")
    static let branchPattern = NamePattern(pattern: "[A-Za-z0-9._/-]+")

    init(_ node: ConfigNode, targets: [Target]) throws {
        let map = try node.mapping(Self.keys)
        branch = try map["branch"].optional { try $0.string(matching: Self.branchPattern, what: "a branch name") }?.value ?? "main"
        secret = try map["secret"].optional {
            try $0.string(matching: Self.secretPattern, what: "a secret name (uppercase letters, digits and _)")
        }?.value ?? "GCP_SERVICE_ACCOUNT_KEY"
        let deployNode = map["deploy"]
        if deployNode.isPresent {
            let names = try deployNode.string().value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for name in names where !targets.contains(where: { $0.name == name }) {
                throw deployNode.error("names the target \"\(name)\", which targets does not have (targets: \(targets.map(\.name).joined(separator: ", ")))")
            }
            if names.isEmpty { throw deployNode.error("is empty; name the targets to deploy to, e.g. deploy: staging, production") }
            deploy = names
        } else {
            let cloud = targets.filter { !$0.isLocalPlane }.map(\.name)
            deploy = cloud.isEmpty ? targets.map(\.name) : cloud
        }
    }
}
