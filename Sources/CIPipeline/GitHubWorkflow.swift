/// `.github/workflows/deploy.yml`: jobs `sortie` (the release binary, built from the source in
/// `sortie-ci.lock` once and cached), `build` (the user's build in the pinned image, opam switch cached), `test` (image and
/// boot smoke test) and one `deploy-TARGET` per target, on pushes to the branch only, never two at
/// once. Pure: the same plan gives the same bytes.
public enum GitHubWorkflow {
    public static let path = ".github/workflows/deploy.yml"
    /// The step of the `sortie` job that fetches and verifies Sortie's source.
    public static let fetchStepName = "Fetch Sortie's source (as sortie-ci.lock says, verified)"

    /// Every action the workflow uses, at the first major that runs on Node 24 (GitHub removed
    /// Node 20 from its runners in September 2026; docs/ci.md lists the release notes).
    public enum Actions {
        /// The repository in the build, test and deploy jobs.
        public static let checkout = "actions/checkout@v5"
        /// The built `sortie` and the opam root.
        public static let cache = "actions/cache@v5"
        /// Hands `sortie` and the kernel to later jobs.
        public static let uploadArtifact = "actions/upload-artifact@v6"
        /// Receives them.
        public static let downloadArtifact = "actions/download-artifact@v7"
    }

    public static func render(_ plan: PipelinePlan) -> String {
        var out = plan.header("sortie ci github") + "\n"
        out += """
            name: sortie
            on:
              push:
                branches: [\(YAMLText.quoted(plan.branch))]
              pull_request:
            permissions:
              contents: read
            env:
            \(SortieBuild.environment(plan.sortie).map { "  \($0.name): \(YAMLText.quoted($0.value))" }.joined(separator: "\n"))
            jobs:
              sortie:
                name: sortie (built from the source in sortie-ci.lock, cached)
                runs-on: ubuntu-24.04
                container:
                  image: \(YAMLText.quoted(SortieBuild.swiftImage))
                steps:
                  - id: cache
                    uses: \(Actions.cache)
                    with:
                      path: .sortie-bin
                      key: \(SortieBuild.cacheKey(plan.sortie))-${{ runner.os }}-${{ runner.arch }}
                  - name: Install Sortie's build dependencies
                    if: steps.cache.outputs.cache-hit != 'true'
                    run: |
            \(YAMLText.block(SortieBuild.installScript(plan.sortie), indent: 10))
                  - name: \(Self.fetchStepName)
                    if: steps.cache.outputs.cache-hit != 'true'
                    run: |
            \(YAMLText.block(SortieBuild.fetchScript(plan.sortie, temp: "$RUNNER_TEMP"), indent: 10))
                  - name: Build sortie
                    if: steps.cache.outputs.cache-hit != 'true'
                    run: |
            \(YAMLText.block(SortieBuild.buildScript(temp: "$RUNNER_TEMP"), indent: 10))
                  - uses: \(Actions.uploadArtifact)
                    with:
                      name: sortie
                      path: .sortie-bin/sortie

            """
        if let command = plan.buildCommand, let image = plan.buildImage {
            out += """
                  build:
                    runs-on: ubuntu-24.04
                    container:
                      image: \(YAMLText.quoted(image))
                      options: --user root
                    env:
                      OPAMROOT: /home/opam/.opam
                      OPAMROOTISOK: "1"
                      OPAMYES: "1"
                    steps:
                      - uses: \(Actions.checkout)

                """
            if let opamSwitch = plan.opamSwitch {
                out += """
                          - uses: \(Actions.cache)
                            with:
                              path: /home/opam/.opam
                              key: opam-${{ hashFiles(\(YAMLText.quoted(opamSwitch).replacingOccurrences(of: "\"", with: "'"))) }}
                          - name: Import the locked opam switch
                            run: opam switch import \(shellQuoted(opamSwitch)) --yes

                    """
            }
            let build = plan.isMirage ? "eval \"$(opam env)\"\n" + command : command
            out += """
                      - name: Build
                        working-directory: \(YAMLText.quoted(plan.directory))
                        run: |
                \(YAMLText.block(build, indent: 10))

                """
            for (index, artifact) in plan.artifacts.enumerated() {
                out += """
                          - uses: \(Actions.uploadArtifact)
                            with:
                              name: kernel-\(index)
                              path: \(YAMLText.quoted(artifact))

                    """
            }
            out += "\n"
        }
        out += job("test", plan: plan, needs: ["sortie"] + (plan.buildCommand != nil ? ["build"] : []), deploy: nil)
        var previous = "test"
        for deploy in plan.deploys {
            out += "\n" + job(deploy.job, plan: plan, needs: [previous], deploy: deploy)
            previous = deploy.job
        }
        return out
    }

    static func job(_ name: String, plan: PipelinePlan, needs: [String], deploy: PipelinePlan.Deploy?) -> String {
        var out = """
              \(name):
                needs: [\(needs.joined(separator: ", "))]
                runs-on: ubuntu-24.04

            """
        if let deploy {
            out += """
                    if: github.event_name == 'push' && github.ref == 'refs/heads/\(plan.branch)'
                    concurrency:
                      group: sortie-deploy-\(plan.app)-\(deploy.target)
                      cancel-in-progress: false

                """
        }
        out += """
                steps:
                  - uses: \(Actions.checkout)
                  - uses: \(Actions.downloadArtifact)
                    with:
                      name: sortie
                      path: .sortie-bin

            """
        if plan.buildCommand != nil {
            for (index, artifact) in plan.artifacts.enumerated() {
                out += """
                          - uses: \(Actions.downloadArtifact)
                            with:
                              name: kernel-\(index)
                              path: \(YAMLText.quoted(directoryOf(artifact)))

                    """
            }
        }
        out += """
                  - name: Install QEMU and GRUB
                    run: |
                      if ! command -v qemu-system-x86_64 >/dev/null || [ ! -d /usr/lib/grub/i386-pc ]; then
                        sudo apt-get update && sudo apt-get install -y --no-install-recommends qemu-system-x86 grub-pc-bin
                      fi
                  - name: Put sortie on the PATH
                    run: |
                      chmod +x .sortie-bin/sortie
                      echo "$PWD/.sortie-bin" >> "$GITHUB_PATH"

            """
        guard let deploy else {
            return out + """
                      - name: Image and boot smoke test
                        working-directory: \(YAMLText.quoted(plan.directory))

                """ + secretEnvironment(plan) + "        run: \(plan.smokeTestCommand)\n"
        }
        if deploy.isLocalPlane {
            out += """
                      - name: Start the local plane (sortie serve)
                        run: |
                          sortie serve --listen \(deploy.listen ?? "127.0.0.1:8765") --data "$RUNNER_TEMP/sortie-plane" > "$RUNNER_TEMP/sortie-serve.log" 2>&1 &
                          for _ in $(seq 100); do [ -s "$RUNNER_TEMP/sortie-plane/token" ] && break; sleep 0.1; done
                          echo "SORTIE_SERVE_DATA=$RUNNER_TEMP/sortie-plane" >> "$GITHUB_ENV"

                """
        } else if let secret = plan.keySecret {
            out += """
                      - name: Service-account key from the CI secret \(secret)
                        env:
                          KEY: ${{ secrets.\(secret) }}
                        run: |
                          umask 077
                          printf '%s' "$KEY" > "$RUNNER_TEMP/gcp-key.json"
                          echo "GOOGLE_APPLICATION_CREDENTIALS=$RUNNER_TEMP/gcp-key.json" >> "$GITHUB_ENV"

                """
        }
        out += """
                  - name: sortie deploy --target \(deploy.target)
                    working-directory: \(YAMLText.quoted(plan.directory))

            """
        out += secretEnvironment(plan)
        out += "        run: \(plan.deployCommand(deploy))\n"
        if !deploy.isLocalPlane {
            out += """
                      - name: Remove the key
                        if: always()
                        run: rm -f "$RUNNER_TEMP/gcp-key.json"

                """
        }
        return out
    }

    /// The `env:` of a step that reads sortie.yml: each `${NAME}` without a default from the secret NAME.
    static func secretEnvironment(_ plan: PipelinePlan) -> String {
        guard !plan.secretVariables.isEmpty else { return "" }
        return "        env:\n" + plan.secretVariables.map { "          \($0): ${{ secrets.\($0) }}\n" }.joined()
    }

    static func directoryOf(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }
}

/// `text` quoted for a POSIX shell when it needs it.
func shellQuoted(_ text: String) -> String {
    if !text.isEmpty, text.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:@".contains($0) }) { return text }
    return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
