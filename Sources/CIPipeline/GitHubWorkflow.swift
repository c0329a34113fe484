/// `.github/workflows/deploy.yml`: jobs `sortie` (the release binary, built once per version and
/// cached), `build` (the user's build in the pinned image, opam switch cached), `test` (image and
/// boot smoke test) and one `deploy-TARGET` per target, on pushes to the branch only, never two at
/// once. Pure: the same plan gives the same bytes.
public enum GitHubWorkflow {
    public static let path = ".github/workflows/deploy.yml"

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
              SORTIE_VERSION: \(YAMLText.quoted(plan.sortieVersion))
              SORTIE_REPOSITORY: \(YAMLText.quoted(PipelinePlan.sortieRepository))
            jobs:
              sortie:
                name: sortie (release binary, cached per version)
                runs-on: ubuntu-24.04
                steps:
                  - id: cache
                    uses: actions/cache@v4
                    with:
                      path: .sortie-bin
                      key: sortie-${{ env.SORTIE_VERSION }}-${{ runner.os }}-${{ runner.arch }}
                  - if: steps.cache.outputs.cache-hit != 'true'
                    uses: swift-actions/setup-swift@v2
                    with:
                      swift-version: "6.0"
                  - name: Build sortie
                    if: steps.cache.outputs.cache-hit != 'true'
                    run: |
                      git clone --depth 1 --branch "v$SORTIE_VERSION" "$SORTIE_REPOSITORY" "$RUNNER_TEMP/sortie-src"
                      swift build --package-path "$RUNNER_TEMP/sortie-src" -c release --product sortie -Xswiftc -static-stdlib
                      mkdir -p .sortie-bin
                      cp "$(swift build --package-path "$RUNNER_TEMP/sortie-src" -c release -Xswiftc -static-stdlib --show-bin-path)/sortie" .sortie-bin/
                  - uses: actions/upload-artifact@v4
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
                      - uses: actions/checkout@v4

                """
            if let opamSwitch = plan.opamSwitch {
                out += """
                          - uses: actions/cache@v4
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
                          - uses: actions/upload-artifact@v4
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
                  - uses: actions/checkout@v4
                  - uses: actions/download-artifact@v4
                    with:
                      name: sortie
                      path: .sortie-bin

            """
        if plan.buildCommand != nil {
            for (index, artifact) in plan.artifacts.enumerated() {
                out += """
                          - uses: actions/download-artifact@v4
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
                        run: \(plan.smokeTestCommand)

                """
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
        if !plan.secretVariables.isEmpty {
            out += "        env:\n" + plan.secretVariables.map { "          \($0): ${{ secrets.\($0) }}\n" }.joined()
        }
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
