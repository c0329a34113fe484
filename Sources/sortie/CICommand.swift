import ArgumentParser
import CIPipeline
import DiskImage
import Foundation

struct CICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ci",
        abstract: "Write the CI pipeline that deploys on every push (GitHub Actions or CircleCI).",
        discussion: """
            Examples:
              sortie ci lock --sortie-checkout ~/src/sortie          # where CI gets Sortie
              sortie ci lock --image ocaml/opam:debian-12-ocaml-4.14   # pin the build environment
              sortie ci github                                          # .github/workflows/deploy.yml
              sortie ci circleci --check                                # is .circleci/config.yml current?
            """,
        subcommands: [CIGitHubCommand.self, CICircleCICommand.self, CILockCommand.self]
    )
}

/// `-f` and `--check`, shared by the generators.
struct CIOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .long], help: "The pipeline file.")
    var config: String = "sortie.yml"

    @Flag(help: "Write nothing; exit 1 if the committed file is not what would be written now.")
    var check = false

    var repository: CIRepository {
        let absolute = config.hasPrefix("/") ? config : FileManager.default.currentDirectoryPath + "/" + config
        return CIRepository(configFile: absolute)
    }

    func generate(path: String, render: (PipelinePlan) -> String) throws {
        let repository = self.repository
        let plan = try PipelinePlan(try repository.load())
        let contents = render(plan)
        if check {
            if let stale = repository.staleness(of: path, expected: contents) {
                throw CIError("\(path) is stale: \(stale)", hint: "run the same command without --check and commit the result")
            }
            print("\(path) is up to date")
            return
        }
        try repository.write(contents, to: path)
        print("wrote \(path) (\(plan.deploys.map(\.target).joined(separator: ", ")) on pushes to \(plan.branch))")
    }
}

struct CIGitHubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "github",
        abstract: "Write .github/workflows/deploy.yml from sortie.yml and sortie-ci.lock.",
        discussion: """
            Jobs: sortie (the release binary, built once from the source in sortie-ci.lock, verified,
            and cached), build (build.command
            in the pinned image, the opam switch imported and cached), test (image and boot smoke
            test), and deploy-TARGET for each target of ci.deploy, only on pushes to ci.branch,
            never two at once. The key comes from the secret ci.secret (default
            GCP_SERVICE_ACCOUNT_KEY), written to a 0600 file and removed after.

            Examples:
              sortie ci github
              sortie ci github --check      # in review: fails if the workflow is stale
            """
    )

    @OptionGroup var options: CIOptions

    func run() async throws {
        try await reportingErrors { try options.generate(path: GitHubWorkflow.path, render: GitHubWorkflow.render) }
    }
}

struct CICircleCICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "circleci",
        abstract: "Write .circleci/config.yml from sortie.yml and sortie-ci.lock.",
        discussion: """
            The same jobs as `sortie ci github`, passed along through the workspace; deploy jobs run
            on ci.branch only, one at a time per target (serial-group). The key comes from the
            project's environment variable ci.secret (or a context).

            Examples:
              sortie ci circleci
              sortie ci circleci --check
            """
    )

    @OptionGroup var options: CIOptions

    func run() async throws {
        try await reportingErrors { try options.generate(path: CircleCIConfig.path, render: CircleCIConfig.render) }
    }
}

struct CILockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Pin the CI build in sortie-ci.lock: where CI gets Sortie, the build image by digest, the opam switch (MirageOS).",
        discussion: """
            Where CI gets Sortie is required: a git repository and a full commit (checked out and
            verified), or a .tar.gz of Sortie's source and its sha256 (checked with sha256sum).
            Once recorded, later runs keep it unless given again.

            For a MirageOS project, records opam-monorepo's lock (mirage/*.opam.locked) if there is
            one, and an `opam switch export --freeze --full` of the switch (written if missing and
            opam is installed). A build image given by tag is resolved to its digest with skopeo or
            docker. Each pin is explained.

            Examples:
              sortie ci lock --sortie-git https://example.com/you/sortie.git --sortie-commit 0123…   # 40 hex digits
              sortie ci lock --sortie-archive https://example.com/sortie.tar.gz --sortie-sha256 89ab…
              sortie ci lock --sortie-checkout ~/src/sortie    # origin and HEAD of that checkout (pushed, clean)
              sortie ci lock --image ocaml/opam:debian-12-ocaml-4.14
              sortie ci lock                                   # refresh the file hashes
            """
    )

    @Option(name: [.customShort("f"), .long], help: "The pipeline file.")
    var config: String = "sortie.yml"

    @Option(help: "The build image, NAME:TAG (resolved to a digest) or NAME@sha256:DIGEST.")
    var image: String?

    @Option(help: ArgumentHelp("A git repository CI clones Sortie from (with --sortie-commit).", valueName: "url"))
    var sortieGit: String?

    @Option(help: ArgumentHelp("The full commit of --sortie-git that CI builds.", valueName: "sha"))
    var sortieCommit: String?

    @Option(help: ArgumentHelp("A .tar.gz of Sortie's source that CI downloads (with --sortie-sha256).", valueName: "url"))
    var sortieArchive: String?

    @Option(help: ArgumentHelp("The sha256 of --sortie-archive.", valueName: "hex"))
    var sortieSha256: String?

    @Option(help: ArgumentHelp("A git checkout of Sortie: use its origin and HEAD.", valueName: "dir"))
    var sortieCheckout: String?

    func validate() throws {
        if (sortieGit == nil) != (sortieCommit == nil) {
            throw ValidationError("--sortie-git and --sortie-commit go together: the repository and the full commit CI builds")
        }
        if (sortieArchive == nil) != (sortieSha256 == nil) {
            throw ValidationError("--sortie-archive and --sortie-sha256 go together: the archive and its sha256")
        }
        if [sortieGit, sortieArchive, sortieCheckout].compactMap({ $0 }).count > 1 {
            throw ValidationError("give one of --sortie-git, --sortie-archive or --sortie-checkout")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let absolute = config.hasPrefix("/") ? config : FileManager.default.currentDirectoryPath + "/" + config
            let repository = CIRepository(configFile: absolute)
            let locker = CILocker(repository: repository, environment: SortieEnvironment.variables)
            var sortie: SortieSource?
            if let sortieGit, let sortieCommit {
                sortie = try SortieSource.checkedGit(url: sortieGit, commit: sortieCommit)
            } else if let sortieArchive, let sortieSha256 {
                sortie = try SortieSource.checkedArchive(url: sortieArchive, sha256: sortieSha256)
            } else if let sortieCheckout {
                sortie = try locker.sortieSource(checkout: sortieCheckout)
            }
            let lock = try locker.lock(image: image, sortie: sortie)
            try repository.write(lock.json, to: repository.relative(repository.lockFile))
            print("wrote \(repository.relative(repository.lockFile)):")
            for line in lock.explanation { print("  - " + line) }
        }
    }
}
