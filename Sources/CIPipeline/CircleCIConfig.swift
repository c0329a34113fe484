/// `.circleci/config.yml`: the same jobs as the GitHub workflow (`sortie`, `build`, `test`,
/// `deploy-TARGET`), passed along through the workspace; deploys only on the branch, one at a time
/// per target (`serial-group` in the workflow), the key only from the project's environment variables (or a
/// context). Pure.
public enum CircleCIConfig {
    public static let path = ".circleci/config.yml"
    /// The VM of the test and deploy jobs (QEMU runs there): Ubuntu 24.04, the distribution the
    /// `sortie` job builds the binary on (`swift:…-noble`), so its C libraries match.
    public static let machineImage = "ubuntu-2404:current"

    public static func render(_ plan: PipelinePlan) -> String {
        var out = plan.header("sortie ci circleci") + "\n"
        out += """
            version: 2.1
            jobs:
              sortie:
                docker:
                  - image: \(YAMLText.quoted(SortieBuild.swiftImage))
                environment:
            \(SortieBuild.environment(plan.sortie).map { "      \($0.name): \(YAMLText.quoted($0.value))" }.joined(separator: "\n"))
                steps:
                  - restore_cache:
                      keys:
                        - \(SortieBuild.cacheKey(plan.sortie))-{{ arch }}
                  - run:
                      name: Build sortie from the source in sortie-ci.lock, verified (once; cached)
                      command: |
                        if [ ! -x .sortie-bin/sortie ]; then
                          (
            \(YAMLText.block(SortieBuild.installScript(plan.sortie), indent: 16))
            \(YAMLText.block(SortieBuild.fetchScript(plan.sortie, temp: "/tmp"), indent: 16))
                          )
            \(YAMLText.block(SortieBuild.buildScript(temp: "/tmp"), indent: 14))
                        fi
                  - save_cache:
                      key: \(SortieBuild.cacheKey(plan.sortie))-{{ arch }}
                      paths:
                        - .sortie-bin
                  - persist_to_workspace:
                      root: .
                      paths:
                        - .sortie-bin/sortie

            """
        if let command = plan.buildCommand, let image = plan.buildImage {
            out += """
                  build:
                    docker:
                      - image: \(YAMLText.quoted(image))
                    steps:
                      - checkout

                """
            if let opamSwitch = plan.opamSwitch {
                out += """
                          - restore_cache:
                              keys:
                                - opam-{{ checksum "\(opamSwitch)" }}
                          - run:
                              name: Import the locked opam switch
                              command: opam switch import \(shellQuoted(opamSwitch)) --yes
                          - save_cache:
                              key: opam-{{ checksum "\(opamSwitch)" }}
                              paths:
                                - ~/.opam

                    """
            }
            let build = plan.isMirage ? "eval \"$(opam env)\"\n" + command : command
            out += """
                      - run:
                          name: Build
                          working_directory: \(YAMLText.quoted(plan.directory))
                          command: |
                \(YAMLText.block(build, indent: 12))
                      - persist_to_workspace:
                          root: .
                          paths:
                \(plan.artifacts.map { "            - " + YAMLText.quoted($0) }.joined(separator: "\n"))

                """
        }
        out += job("test", plan: plan, deploy: nil)
        for deploy in plan.deploys { out += job(deploy.job, plan: plan, deploy: deploy) }
        out += """
            workflows:
              deploy:
                jobs:
                  - sortie

            """
        if plan.buildCommand != nil { out += "      - build\n" }
        out += "      - test:\n          requires: [\((["sortie"] + (plan.buildCommand != nil ? ["build"] : [])).joined(separator: ", "))]\n"
        var previous = "test"
        for deploy in plan.deploys {
            out += """
                      - \(deploy.job):
                          requires: [\(previous)]
                          serial-group: << pipeline.project.slug >>/sortie-deploy-\(deploy.target)
                          filters:
                            branches:
                              only: \(YAMLText.quoted(plan.branch))

                """
            previous = deploy.job
        }
        return out
    }

    static func job(_ name: String, plan: PipelinePlan, deploy: PipelinePlan.Deploy?) -> String {
        var out = """
              \(name):
                machine:
                  image: \(Self.machineImage)

            """
        out += """
                steps:
                  - checkout
                  - attach_workspace:
                      at: .
                  - run:
                      name: Install QEMU and GRUB
                      command: |
                        if ! command -v qemu-system-x86_64 >/dev/null || [ ! -d /usr/lib/grub/i386-pc ]; then
                          sudo apt-get update && sudo apt-get install -y --no-install-recommends qemu-system-x86 grub-pc-bin
                        fi
                  - run:
                      name: Put sortie on the PATH
                      command: |
                        chmod +x .sortie-bin/sortie
                        echo "export PATH=\\"$PWD/.sortie-bin:\\$PATH\\"" >> "$BASH_ENV"

            """
        guard let deploy else {
            return out + """
                      - run:
                          name: Image and boot smoke test
                          working_directory: \(YAMLText.quoted(plan.directory))
                          command: \(plan.smokeTestCommand)

                """
        }
        if deploy.isLocalPlane {
            out += """
                      - run:
                          name: Start the local plane (sortie serve)
                          command: |
                            sortie serve --listen \(deploy.listen ?? "127.0.0.1:8765") --data /tmp/sortie-plane > /tmp/sortie-serve.log 2>&1 &
                            for _ in $(seq 100); do [ -s /tmp/sortie-plane/token ] && break; sleep 0.1; done
                            echo "export SORTIE_SERVE_DATA=/tmp/sortie-plane" >> "$BASH_ENV"

                """
        } else if let secret = plan.keySecret {
            out += """
                      - run:
                          name: Service-account key from the environment variable \(secret)
                          command: |
                            umask 077
                            printf '%s' "$\(secret)" > /tmp/gcp-key.json
                            echo "export GOOGLE_APPLICATION_CREDENTIALS=/tmp/gcp-key.json" >> "$BASH_ENV"

                """
        }
        out += """
                  - run:
                      name: sortie deploy --target \(deploy.target)
                      working_directory: \(YAMLText.quoted(plan.directory))
                      command: \(plan.deployCommand(deploy))

            """
        if !deploy.isLocalPlane {
            out += """
                      - run:
                          name: Remove the key
                          when: always
                          command: rm -f /tmp/gcp-key.json

                """
        }
        return out
    }
}
