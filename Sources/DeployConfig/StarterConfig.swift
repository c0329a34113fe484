import DiskImage

/// `sortie init`: a commented starter `sortie.yml` for a kernel. Pure: the caller detects the
/// kernel and writes the file. The text parses with `DeployConfiguration.parse`.
public enum StarterConfig {
    /// The starter file for `app`, deploying the kernel at `kernelPath` (relative to the file)
    /// of kind `kernelKind`; nil when no kernel was found yet, which gives a placeholder path.
    public static func render(app: String, kernelPath: String?, kernelKind: KernelKind?) -> String {
        let isLinux = kernelKind.map { !$0.isMultiboot } ?? false
        let kernel = kernelPath ?? "dist/\(app).virtio"
        let found = kernelKind.map { "\($0.displayName) kernel, found at \(kernel)" } ?? "no kernel found yet: put the path your build writes"
        var text = """
            # sortie.yml: how Sortie builds, checks and deploys \(app). Every key is described in
            # docs/sortie-yml.md. Durations: 30s, 10m, 1h. Sizes: 1GiB. ${NAME} and ${NAME:-default}
            # take a value from the environment (kept secret: never printed).

            # The prefix of every resource name (lowercase letters, digits and dashes, at most 24).
            app: \(app)

            build:
              # Run (with /bin/sh -c) before each deploy; leave it out if you build another way.
              # command: make
              # The kernel the build writes (\(found)).
              kernel: \(yamlString(kernel))

            """
        if isLinux {
            text += """
                  # An initial ramdisk for the Linux kernel.
                  # initrd: dist/initrd.img
                  # The kernel command line; console=ttyS0 sends the console to the serial port.
                  cmdline: "console=ttyS0"

                """
        } else {
            text += """
                  # The kernel command line. Solo5/MirageOS needs no addresses here: on GCE and on
                  # `sortie serve` (QEMU's network: 10.0.2.15/24, gateway 10.0.2.2) they come from DHCP,
                  # which MirageOS 4.10.5 and later use by default; older releases need "--dhcp=true".
                  cmdline: ""

                """
        }
        text += """

            image:
              # The disk size, a whole number of GiB.
              size: 1GiB
              # Boot the image here before uploading it, and require this line on its console.
              # smoke-test: { expect: "READY", timeout: 30s }

            service:
              # The TCP port the kernel serves HTTP on.
              port: 8080
              # The health check that gates rollouts and replaces broken instances. timeout <= interval;
              # healthy/unhealthy: consecutive answers that change an instance's state; initial-delay:
              # how long a new instance may take to start before autohealing judges it.
              health: { path: /, interval: 5s, timeout: 5s, healthy: 2, unhealthy: 2, initial-delay: 30s }
              # The group's size; max above min needs autoscale.
              instances: { min: 2, max: 2 }
              # Scale on CPU between instances.min and instances.max.
              # autoscale: { cpu: 0.6, cooldown: 60s }
              # A rollout: max-surge new instances start before old ones stop, at most max-unavailable
              # are out of service, canary instances go first and must be healthy, all within timeout.
              rollout: { max-surge: 1, max-unavailable: 0, canary: 0, timeout: 10m }
              # Instance metadata; "${API_TOKEN}" would come from the environment.
              # metadata: { environment: production }

            targets:
              # `sortie serve` on this machine; the default target.
              local: {}
              # A Google Cloud project: a zone (or a region, for a regional group) and a bucket for images.
              # production: { project: my-project, zone: us-west1-a, bucket: my-unikernels, machine-type: e2-small }

            # How `sortie ci github` and `sortie ci circleci` write the pipeline that deploys on every push
            # (docs/ci.md): the branch that deploys, the targets in order, the CI secret holding the key.
            # ci: { branch: main, deploy: production, secret: GCP_SERVICE_ACCOUNT_KEY }

            """
        return text
    }

    /// An app name from the kernel's file name (`dist/hello.virtio` → `hello`), or from the
    /// directory's name when the kernel's is generic (`bzImage`, `kernel.elf`); `app` if neither fits.
    public static func suggestedAppName(kernelPath: String?, directoryName: String) -> String {
        let generic: Set = ["kernel", "vmlinuz", "bzimage", "unikernel", "main", "app", "image"]
        let base = kernelPath.map { String($0.split(separator: "/").last ?? "").split(separator: ".").first.map(String.init) ?? "" } ?? ""
        for candidate in [base, directoryName] {
            let name = sanitize(candidate)
            if !name.isEmpty, !generic.contains(name) { return name }
        }
        return "app"
    }

    /// Lowercase, dashes for anything else, starting with a letter, no trailing dash, at most 24.
    static func sanitize(_ text: String) -> String {
        var name = ""
        for character in text.lowercased() {
            let keep = character.isASCII && (character.isLetter || character.isNumber)
            if keep { name.append(character) } else if !name.hasSuffix("-") { name.append("-") }
        }
        name = String(name.drop { !($0.isASCII && $0.isLetter) }.prefix(DeployConfiguration.maximumAppLength))
        while name.hasSuffix("-") { name.removeLast() }
        return name
    }

    /// A path as a YAML scalar: plain when safe, double-quoted otherwise (`${` escaped).
    static func yamlString(_ text: String) -> String {
        let plain = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_./-+".contains($0)) }
        if plain, !text.isEmpty, !text.hasPrefix("-") { return text }
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "${", with: "$${")
        return "\"\(escaped)\""
    }
}
