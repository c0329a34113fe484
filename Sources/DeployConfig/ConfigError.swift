import SortieSupport

/// A problem in `sortie.yml`: where it is (file, line, key path), what is wrong and what is expected.
///
/// The message reads `sortie.yml:14: service.rollout.max-surge: "lots" is not a number or a
/// percentage like "25%"`. Values that came from the environment are never part of a message.
public struct ConfigError: UserFacingError, Equatable {
    /// The file as the user named it (for example `sortie.yml`).
    public let file: String
    /// The 1-based line the problem is on, when it is known.
    public let line: Int?
    /// The dotted key path (`service.rollout.max-surge`); empty for problems with the whole file.
    public let keyPath: String
    /// What is wrong and what is expected.
    public let problem: String
    public let hint: String?

    public init(file: String, line: Int?, keyPath: String, problem: String, hint: String? = nil) {
        self.file = file
        self.line = line
        self.keyPath = keyPath
        self.problem = problem
        self.hint = hint
    }

    public var message: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return keyPath.isEmpty ? "\(place): \(problem)" : "\(place): \(keyPath): \(problem)"
    }
}

extension ConfigError {
    /// The same place with another problem.
    func with(problem: String, hint: String? = nil) -> ConfigError {
        ConfigError(file: file, line: line, keyPath: keyPath, problem: problem, hint: hint)
    }
}
