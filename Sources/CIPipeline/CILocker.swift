import Foundation
import ImageBuilder
import SortieSupport

/// `sortie ci lock`: pins what the CI build depends on and records it in `sortie-ci.lock`.
public struct CILocker: Sendable {
    public var repository: CIRepository
    public var runner: any CommandRunner
    public var environment: [String: String]

    public init(repository: CIRepository, environment: [String: String], runner: any CommandRunner = SystemCommandRunner()) {
        self.repository = repository
        self.environment = environment
        self.runner = runner
    }

    public static let opamSwitchFile = "sortie.opam-switch"
    public static let mirageImage = "ocaml/opam:debian-12-ocaml-4.14"

    /// Computes the lock (resolving `image` to a digest, exporting the opam switch if missing).
    /// `sortie` is where CI gets Sortie; without it the lock's current one is kept, and with
    /// neither nothing is written.
    public func lock(image requested: String?, sortie requestedSortie: SortieSource?) throws -> CILock {
        let project = try repository.load()
        let directory = repository.projectDirectory
        guard let sortie = requestedSortie ?? project.lock?.sortie else {
            throw CIError("\(CILock.fileName) must say where CI gets Sortie, and no source was given",
                          hint: "add `--sortie-git URL --sortie-commit SHA` (a git repository and a full commit), "
                              + "`--sortie-archive URL --sortie-sha256 HEX` (a .tar.gz of Sortie's source), or "
                              + "`--sortie-checkout DIR` (origin and HEAD of your Sortie checkout)")
        }
        var image = requested ?? project.lock?.image
        if let reference = image, !CILock.isPinned(reference) { image = try resolveDigest(reference) }
        if image == nil, project.configuration.build.command != nil {
            let suggestion = project.isMirage ? Self.mirageImage : "debian:12"
            throw CIError("the build command needs a pinned build image, and none is given",
                          hint: "run `sortie ci lock --image \(suggestion)` (resolved with skopeo or docker), or give NAME@sha256:DIGEST")
        }
        var opamSwitch: CILock.PinnedFile?
        var monorepo: CILock.PinnedFile?
        if project.isMirage {
            let switchPath = directory + "/" + Self.opamSwitchFile
            if !FileManager.default.fileExists(atPath: switchPath) {
                guard let opam = executable("opam") else {
                    throw CIError("\(repository.relative(switchPath)) is missing and opam is not installed here to write it",
                                  hint: "in the environment that builds the unikernel, run `opam switch export --freeze --full \(Self.opamSwitchFile)` next to sortie.yml, then `sortie ci lock` again")
                }
                let result = try runner.run(opam, ["switch", "export", "--freeze", "--full", switchPath])
                guard result.status == 0 else {
                    throw CIError("`opam switch export --freeze --full` failed: \(result.errorOutput.suffix(500))",
                                  hint: "check that the current opam switch builds the unikernel")
                }
            }
            opamSwitch = .init(path: repository.relative(switchPath), sha256: try sha256(switchPath))
            let mirageDirectory = directory + "/mirage"
            if let locked = (try? FileManager.default.contentsOfDirectory(atPath: mirageDirectory))?.filter({ $0.hasSuffix(".opam.locked") }).sorted().first {
                monorepo = .init(path: repository.relative(mirageDirectory + "/" + locked), sha256: try sha256(mirageDirectory + "/" + locked))
            }
        }
        return CILock(image: image, opamSwitch: opamSwitch, opamMonorepoLock: monorepo, sortie: sortie)
    }

    /// `NAME@sha256:…` for a tag, from skopeo or docker, or an error saying how to pin it by hand.
    func resolveDigest(_ reference: String) throws -> String {
        let name = reference.split(separator: "@").first.map(String.init) ?? reference
        if let skopeo = executable("skopeo"),
           let result = try? runner.run(skopeo, ["inspect", "--format", "{{.Digest}}", "docker://" + name]), result.status == 0 {
            let digest = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if CILock.isPinned(name + "@" + digest) { return name + "@" + digest }
        }
        if let docker = executable("docker"),
           let result = try? runner.run(docker, ["buildx", "imagetools", "inspect", name, "--format", "{{.Manifest.Digest}}"]), result.status == 0 {
            let digest = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if CILock.isPinned(name + "@" + digest) { return name + "@" + digest }
        }
        throw CIError("cannot pin \(name) by digest here (neither skopeo nor docker could resolve it)",
                      hint: "run `docker pull \(name)` where Docker works and pass `--image $(docker inspect --format '{{index .RepoDigests 0}}' \(name))`")
    }

    /// The source a Sortie git checkout at `directory` stands for: its `origin` and its `HEAD`,
    /// refused when CI could not fetch exactly that (local changes, a commit not pushed, an SSH origin).
    public func sortieSource(checkout directory: String) throws -> SortieSource {
        guard let git = executable("git") else { throw CIError("git is not installed here", hint: "give --sortie-git and --sortie-commit instead") }
        func run(_ arguments: [String]) throws -> String {
            let result = try runner.run(git, ["-C", directory] + arguments)
            guard result.status == 0 else {
                throw CIError("`git \(arguments.joined(separator: " "))` in \(directory) failed: \(result.errorOutput.suffix(300).trimmingCharacters(in: .whitespacesAndNewlines))",
                              hint: "--sortie-checkout takes a git checkout of Sortie with a remote named origin")
            }
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let url = try run(["remote", "get-url", "origin"])
        let commit = try run(["rev-parse", "HEAD"])
        guard try run(["status", "--porcelain", "--untracked-files=no"]).isEmpty else {
            throw CIError("\(directory) has uncommitted changes, which CI would not get", hint: "commit and push them, then run this again")
        }
        guard !(try run(["branch", "--remotes", "--contains", commit])).isEmpty else {
            throw CIError("commit \(commit) of \(directory) is on no branch of a remote, so CI cannot fetch it",
                          hint: "push it (git push origin HEAD), then run this again")
        }
        if url.hasPrefix("git@") || url.hasPrefix("ssh://") {
            throw CIError("origin of \(directory) is \(url), an SSH URL that CI cannot fetch without a key",
                          hint: "give the https:// URL instead: --sortie-git https://… --sortie-commit \(commit)")
        }
        return try SortieSource.checkedGit(url: url, commit: commit)
    }

    func executable(_ name: String) -> String? { ExecutableSearch.find(name, environment: environment) }

    func sha256(_ path: String) throws -> String { try FileDigest.sha256(path) }
}
