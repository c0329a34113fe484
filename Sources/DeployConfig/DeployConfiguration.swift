import Foundation
import Yams

/// The whole of `sortie.yml`: what to build, how to make and check the image, how the service
/// runs, and where it can be deployed. Every default is filled in.
///
/// `description` is the configuration as YAML with defaults and with secrets (anything taken from
/// the environment) redacted.
public struct DeployConfiguration: Sendable, Equatable {
    /// `app`: the prefix of every resource name.
    public var app: String
    public var build: BuildSettings
    public var image: ImageSettings
    public var service: ServiceSettings
    /// In file order; `local` alone when the file has no `targets`.
    public var targets: [Target]
    /// `ci:` how `sortie ci` writes CI pipelines.
    public var ci: CISettings = CISettings()
    /// The file's name in messages.
    public var file: String = "sortie.yml"
    /// Every `${NAME}` in the file's values, in file order.
    public var environmentReferences: [EnvironmentReference] = []

    /// The longest `app`: derived names (`APP-v20250101-120000-template` and the like) must fit
    /// GCE's 63 characters.
    public static let maximumAppLength = 24
    static let keys = ["app", "build", "image", "service", "targets", "ci"]

    /// Parses and validates `yaml`; `file` names the file in messages; `${...}` references are
    /// resolved from `environment`. Throws `ConfigError` for the first problem found.
    ///
    /// A reference to a variable that is not set, without a default, is such a problem, unless
    /// `allowingMissingVariables`: then the reference stays in the value as written, the value is
    /// not validated, and the command calls `requireEnvironment(for:)` with the keys it uses.
    public static func parse(_ yaml: String, file: String = "sortie.yml", environment: [String: String] = [:],
                             allowingMissingVariables: Bool = false) throws -> DeployConfiguration {
        var context = ParseContext(file: file, environment: environment)
        context.allowsMissingVariables = allowingMissingVariables
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw YAMLSyntax.error(error, file: file)
        }
        let node = ConfigNode(node: root, path: "", fallbackLine: nil, context: context)
        guard node.isPresent else {
            throw ConfigError(file: file, line: nil, keyPath: "", problem: "the file is empty; it needs at least app, build.kernel and service.port",
                              hint: "run `sortie init` to write a commented starter")
        }
        var configuration = try DeployConfiguration(node)
        configuration.file = file
        configuration.environmentReferences = context.references.references
        return configuration
    }

    /// Reads and parses the file at `path` (named as given in messages); see `parse` for
    /// `allowingMissingVariables`.
    public static func load(path: String, environment: [String: String], allowingMissingVariables: Bool = false) throws -> DeployConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ConfigError(file: path, line: nil, keyPath: "", problem: exists ? "cannot read the file" : "no such file",
                              hint: exists ? "check its permissions" : "run `sortie init` to write one, or give its path")
        }
        guard let yaml = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: nil, keyPath: "", problem: "is not UTF-8 text")
        }
        return try parse(yaml, file: path, environment: environment, allowingMissingVariables: allowingMissingVariables)
    }

    public init(app: String, build: BuildSettings, image: ImageSettings = ImageSettings(), service: ServiceSettings, targets: [Target]) {
        self.app = app
        self.build = build
        self.image = image
        self.service = service
        self.targets = targets
    }

    init(_ node: ConfigNode) throws {
        let map = try node.mapping(Self.keys)
        let appNode = map["app"]
        let app = try appNode.required("the application's name, the prefix of every resource name, e.g. app: hello") { try $0.string() }
        if app.isSecret { throw appNode.error("must be written in the file, not taken from the environment: it is part of every resource name") }
        if let problem = Self.appNameProblem(app.value) { throw appNode.error(problem) }
        self.app = app.value
        build = try BuildSettings(map["build"])
        image = try ImageSettings(map["image"])
        service = try ServiceSettings(map["service"])
        let targetsNode = map["targets"]
        var targets: [Target] = []
        for entry in try targetsNode.anyMapping(expecting: "a mapping of target names to their settings").entries {
            guard NamePattern.resourceName.matches(entry.name) else {
                throw entry.node.error("is not a target name (lowercase letters, digits and dashes, starting with a letter)")
            }
            targets.append(try Target(name: entry.name, node: entry.node, app: app.value))
        }
        if !targetsNode.isPresent {
            targets = [try Target(name: Target.localPlaneName, node: map["targets"], app: app.value)]
        } else if targets.isEmpty {
            throw targetsNode.error("is empty; add local: {} for sortie serve, or a cloud target")
        }
        for target in targets where target.bootDisk.sizeGb < image.sizeGiB {
            throw ConfigError(file: node.context.file, line: nil, keyPath: "targets.\(target.name).disk-size",
                              problem: "\(target.bootDisk.sizeGb) GB is smaller than the image (image.size: \(image.sizeGiB) GiB); GCE cannot make the boot disk",
                              hint: "use disk-size: \(image.sizeGiB) or more")
        }
        self.targets = targets
        ci = try CISettings(map["ci"], targets: targets)
    }

    /// What is wrong with `name` as an `app`, or nil when it is fine: lowercase letters, digits and
    /// dashes, starting with a letter, not ending with a dash, at most `maximumAppLength`.
    public static func appNameProblem(_ name: String) -> String? {
        guard NamePattern.resourceName.matches(name) else {
            return "\"\(name)\" is not a name of lowercase letters, digits and dashes, starting with a letter"
        }
        guard name.count <= maximumAppLength else {
            return "\"\(name)\" is \(name.count) characters; at most \(maximumAppLength), so that derived resource names fit GCE's 63"
        }
        return nil
    }

    /// The target called `name`; without a name, `local` if the file has it, else the only target.
    public func target(_ name: String?) throws -> Target {
        let names = targets.map(\.name).joined(separator: ", ")
        if let name {
            guard let target = targets.first(where: { $0.name == name }) else {
                throw ConfigError(file: file, line: nil, keyPath: "targets", problem: "there is no target named \"\(name)\" (targets: \(names))")
            }
            return target
        }
        if let local = targets.first(where: \.isLocalPlane) { return local }
        if targets.count == 1 { return targets[0] }
        throw ConfigError(file: file, line: nil, keyPath: "targets", problem: "there is no local target, so name one with --target (targets: \(names))")
    }
}

/// YAML syntax errors from Yams, as `ConfigError`s with the line.
enum YAMLSyntax {
    static func error(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigError(file: file, line: mark.line, keyPath: "", problem: "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return ConfigError(file: file, line: context.mark.line, keyPath: "", problem: "the key \(keys) appears more than once in the same mapping")
        default:
            return ConfigError(file: file, line: nil, keyPath: "", problem: "not valid YAML: \(error)")
        }
    }
}
