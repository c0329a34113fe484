// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Sortie",
    // Synchronization.Mutex needs macOS 15; the VM and plane code runs on Linux only (Glibc, QEMU).
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sortie", targets: ["sortie"]),
        .library(name: "DiskImage", targets: ["DiskImage"]),
        .library(name: "Machine", targets: ["Machine"]),
        .library(name: "GCEClient", targets: ["GCEClient"]),
        .library(name: "GCEModel", targets: ["GCEModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // zlib from the system (Debian: zlib1g-dev): deflate/inflate and crc32.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Pure disk and archive formats: kernel detection, MBR, FAT32, GRUB config, oldgnu sparse tar, gzip.
        // Plumbing every module shares: the user-facing error shape, atomic file writes, PATH
        // search, file digests, RFC 3339 timestamps.
        .target(name: "SortieSupport", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "DiskImage", dependencies: ["CZlib", "SortieSupport"]),
        // Building images from files: GRUB core.img cache, atomic output, reading images back.
        .target(name: "ImageBuilder", dependencies: ["DiskImage", "SortieSupport"]),
        // QEMU as a typed command line, process supervision, QMP, acceleration probe.
        .target(name: "Machine", dependencies: ["DiskImage", "ImageBuilder", "SortieSupport"]),
        // Pure decisions of the control plane, with an injected clock: health, rollouts, autohealing, autoscaling.
        .target(name: "Rollout"),
        // The HTTP/1.1 reverse proxy behind global forwarding rules (SwiftNIO).
        .target(name: "LoadBalancer", dependencies: [
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // Cloud Storage's object checksums (MD5, CRC32C), shared by the local plane and the client.
        .target(name: "StorageChecksums", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // Codable values of the Compute Engine and Cloud Storage resources the client uses (int64 as JSON strings).
        .target(name: "GCEModel"),
        // The REST client for Compute Engine and Cloud Storage (real GCE or `sortie serve`): retries with
        // requestId, operation waiting, resumable uploads, over an HTTP-transport protocol (AsyncHTTPClient).
        .target(name: "GCEClient", dependencies: [
            "GCEModel", "StorageChecksums",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // `sortie serve`: the Compute Engine and Cloud Storage REST APIs on one machine, state in SQLite.
        .target(name: "ControlPlane", dependencies: [
            "DiskImage", "ImageBuilder", "Machine", "Rollout", "LoadBalancer", "StorageChecksums", "SortieSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // `sortie.yml`: parsing with line-precise errors, validation, defaults, `${ENV}` secrets; the `sortie init` starter.
        .target(name: "DeployConfig", dependencies: [
            "DiskImage", "Rollout", "SortieSupport",
            .product(name: "Yams", package: "Yams"),
        ]),
        // OAuth2 access tokens: service-account JWT (RS256), metadata server, gcloud, static tokens; sent over GCEClient's transport.
        .target(name: "GCEAuth", dependencies: [
            "ImageBuilder", "GCEClient", "SortieSupport",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        // `sortie deploy`'s decisions, pure: resource names, the one-time setup wanted and its plan.
        .target(name: "Deploy", dependencies: ["DeployConfig", "GCEModel", "Rollout"]),
        // `sortie deploy` and the operating commands: the steps with their effects (build, boot, API calls).
        .target(name: "Pipeline", dependencies: [
            "Deploy", "DeployConfig", "DiskImage", "ImageBuilder", "Machine", "GCEClient", "GCEModel", "GCEAuth", "SortieSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // `sortie ci`: GitHub Actions and CircleCI pipelines written from sortie.yml and sortie-ci.lock, pure.
        .target(name: "CIPipeline", dependencies: ["DeployConfig", "ImageBuilder", "SortieSupport"]),
        .executableTarget(
            name: "sortie",
            dependencies: [
                "DiskImage", "ImageBuilder", "Machine", "ControlPlane", "DeployConfig", "GCEAuth", "Deploy", "Pipeline", "GCEClient", "GCEModel", "CIPipeline", "SortieSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // `scripts/bench lb`: a ReverseProxy in front of the backends named on its command line.
        .executableTarget(name: "sortie-lb-bench", dependencies: ["LoadBalancer"]),
        .testTarget(name: "SortieSupportTests", dependencies: ["SortieSupport"]),
        .testTarget(name: "DiskImageTests", dependencies: ["DiskImage", "ImageBuilder"]),
        .testTarget(name: "MachineTests", dependencies: ["Machine"]),
        .testTarget(name: "ControlPlaneTests", dependencies: [
            "ControlPlane", "StorageChecksums",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .testTarget(name: "GCEClientTests", dependencies: [
            "GCEClient", "GCEModel", "StorageChecksums",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
        ]),
        .testTarget(name: "RolloutTests", dependencies: ["Rollout"]),
        .testTarget(name: "LoadBalancerTests", dependencies: [
            "LoadBalancer",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .testTarget(name: "SortieTests", dependencies: ["DiskImage", "ImageBuilder", "Machine", "DeployConfig"]),
        .testTarget(name: "DeployConfigTests", dependencies: ["DeployConfig", "DiskImage"]),
        .testTarget(name: "DeployTests", dependencies: ["Deploy", "DeployConfig", "GCEModel"]),
        .testTarget(name: "CIPipelineTests", dependencies: ["CIPipeline", "DeployConfig"], exclude: ["Snapshots"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Deploy", "DeployConfig", "GCEModel", "GCEClient"]),
        .testTarget(name: "GCEAuthTests", dependencies: [
            "GCEAuth", "GCEClient", "ImageBuilder",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
