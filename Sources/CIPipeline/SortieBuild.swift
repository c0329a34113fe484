/// How a pipeline gets the `sortie` binary: the source `sortie-ci.lock` names, verified, built
/// with the Swift toolchain Sortie is tested with. Shell shared by both generators; each script
/// is one CI step and starts from nothing (GitHub runs every step in a new shell).
enum SortieBuild {
    /// The Swift release that builds Sortie in CI: the one its tests run with (Package.swift asks
    /// for tools 6.0 or later). Kept in step with docs/ci.md.
    static let swiftVersion = "6.3.1"
    /// Swift's official image of that release, on Ubuntu 24.04: the same distribution as the
    /// runners that then run the binary (`ubuntu-24.04`, CircleCI's `ubuntu-2404`).
    static let swiftImage = "swift:\(swiftVersion)-noble"

    /// The variables the scripts read, set once for the pipeline.
    static func environment(_ source: SortieSource) -> [(name: String, value: String)] {
        switch source {
        case .git(let url, let commit): [("SORTIE_GIT", url), ("SORTIE_COMMIT", commit)]
        case .archive(let url, let sha256): [("SORTIE_ARCHIVE", url), ("SORTIE_SHA256", sha256)]
        }
    }

    /// The cache key of the built binary: a new source or toolchain is a new binary.
    static func cacheKey(_ source: SortieSource) -> String { "sortie-\(source.digest)-swift\(swiftVersion)" }

    /// Debian packages the Swift image lacks: SQLite's headers (GRDB), curl to fetch an archive.
    static func installScript(_ source: SortieSource) -> String {
        let curl = if case .archive = source { " curl" } else { "" }
        return """
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq
            apt-get install -y -qq --no-install-recommends libsqlite3-dev\(curl)
            """
    }

    /// Fetches the source into `temp/sortie-src` and proves it is the locked one: the checked-out
    /// commit, or the archive's sha256. Fails (non-zero) otherwise.
    static func fetchScript(_ source: SortieSource, temp: String) -> String {
        switch source {
        case .git:
            return """
                src="\(temp)/sortie-src"
                rm -rf "$src"
                git init -q "$src"
                cd "$src" || exit 1
                git fetch -q --depth 1 "$SORTIE_GIT" "$SORTIE_COMMIT" \\
                  || git fetch -q "$SORTIE_GIT" '+refs/heads/*:refs/remotes/sortie/*' '+refs/tags/*:refs/tags/*'
                git -c advice.detachedHead=false checkout -q --detach "$SORTIE_COMMIT"
                head=$(git rev-parse HEAD)
                if [ "$head" != "$SORTIE_COMMIT" ]; then
                  echo "error: Sortie's source is at $head, not $SORTIE_COMMIT as sortie-ci.lock says" >&2
                  exit 1
                fi
                echo "Sortie: $SORTIE_GIT at $head, as locked"
                """
        case .archive:
            return """
                src="\(temp)/sortie-src"
                rm -rf "$src" "$src.tar.gz" && mkdir -p "$src"
                curl -fsSL --retry 3 -o "$src.tar.gz" "$SORTIE_ARCHIVE"
                echo "$SORTIE_SHA256  $src.tar.gz" | sha256sum -c -
                tar -xzf "$src.tar.gz" -C "$src"
                """
        }
    }

    /// Builds the static release binary from `temp/sortie-src` (or the one directory an archive
    /// unpacked to) into `.sortie-bin/sortie`.
    static func buildScript(temp: String) -> String {
        """
        manifest=$(find "\(temp)/sortie-src" -maxdepth 2 -name Package.swift | sort | head -n 1)
        if [ -z "$manifest" ]; then
          echo "error: Sortie's source has no Package.swift" >&2
          exit 1
        fi
        package=$(dirname "$manifest")
        swift build --package-path "$package" -c release --product sortie -Xswiftc -static-stdlib
        mkdir -p .sortie-bin
        cp "$(swift build --package-path "$package" -c release -Xswiftc -static-stdlib --show-bin-path)/sortie" .sortie-bin/
        """
    }
}
