/// `image:` the bootable disk and the boot smoke test run before anything is uploaded.
public struct ImageSettings: Sendable, Equatable {
    /// `image.smoke-test`: boot the image locally and wait for a console line.
    public struct SmokeTest: Sendable, Equatable {
        /// `expect`: text the serial console must print. Required.
        public var expect: ConfigString
        /// `timeout`: seconds to wait for it; default 30.
        public var timeoutSeconds: Int

        public init(expect: ConfigString, timeoutSeconds: Int = 30) {
            self.expect = expect
            self.timeoutSeconds = timeoutSeconds
        }
    }

    /// `image.size`: the disk size in bytes, a whole number of GiB (GCE's rule); default 1 GiB.
    public var sizeBytes: UInt64
    /// nil: no console check (the rollout's health check still gates the release).
    public var smokeTest: SmokeTest?

    public static let gibibyte: UInt64 = 1 << 30
    /// An MBR partition table addresses at most 2 TiB.
    public static let maximumSize: UInt64 = 2048 << 30

    public init(sizeBytes: UInt64 = ImageSettings.gibibyte, smokeTest: SmokeTest? = nil) {
        self.sizeBytes = sizeBytes
        self.smokeTest = smokeTest
    }

    /// The disk size in GiB, as `sortie image build --size` takes it.
    public var sizeGiB: Int { Int(sizeBytes / Self.gibibyte) }

    init(_ node: ConfigNode) throws {
        let map = try node.mapping(["size", "smoke-test"])
        let size = map["size"]
        sizeBytes = try size.optional { try $0.bytes() } ?? Self.gibibyte
        if sizeBytes % Self.gibibyte != 0 || sizeBytes == 0 {
            throw size.error("\(Units.sizeText(sizeBytes)) is not a whole number of GiB (GCE imports only whole GiB disks)",
                             hint: "round up to \(Units.sizeText(max(1, (sizeBytes + Self.gibibyte - 1) / Self.gibibyte) * Self.gibibyte))")
        }
        if sizeBytes > Self.maximumSize {
            throw size.error("\(Units.sizeText(sizeBytes)) is larger than 2TiB, the most an MBR disk can address")
        }
        smokeTest = try map["smoke-test"].optional { node in
            let test = try node.mapping(["expect", "timeout"])
            let expect = try test["expect"].required("the console line a good boot prints, e.g. expect: \"READY\"") { try $0.string() }
            if expect.value.isEmpty { throw test["expect"].error("is empty; give text the console prints when the boot succeeded") }
            return SmokeTest(expect: expect, timeoutSeconds: try test["timeout"].optional { try $0.seconds(1...3600) } ?? 30)
        }
    }
}
