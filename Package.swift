// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "scaicore-appliance",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "scaicore-appliance", targets: ["scaicore-appliance"]),
        .library(name: "CoreEngine", targets: ["CoreEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
    ],
    targets: [
        // C system libraries (Debian -dev packages; see scripts/install-deps.sh).
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLMDB", path: "Sources/CLMDB", providers: [.apt(["liblmdb-dev"])]),

        // Layer 0: the language. No I/O.
        .target(name: "CoreEngine", swiftSettings: strict),

        // Layer 0': storage drivers. Knows nothing of Cores.
        .target(
            name: "Storage",
            dependencies: [
                "CSQLite", "CLMDB",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),

        // AWS Signature Version 4: one signer/verifier for the S3 listener and the S3 client driver.
        .target(
            name: "SigV4",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),

        // An SMTP client (STARTTLS, AUTH) for the notifier's e-mail.
        .target(
            name: "Mail",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),

        // Layer 1: domain services.
        .target(
            name: "Appliance",
            dependencies: [
                "CoreEngine", "Storage", "Mail",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict),

        // What both HTTP listeners share: connection limits (head, idle, body rate) and telling
        // a client that went away from a server failure.
        .target(
            name: "ListenerSupport",
            dependencies: [
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: strict),

        // Layer 2: HTTP surfaces.
        .target(
            name: "HTTP",
            dependencies: [
                "Appliance", "CoreEngine", "Storage", "ListenerSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict),

        // Layer 2: the S3-compatible listener over the ObjectStore.
        .target(
            name: "S3Server",
            dependencies: [
                "Storage", "SigV4", "ListenerSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),

        // The executable: CLI, serve, admin, bench.
        .executableTarget(
            name: "scaicore-appliance",
            dependencies: [
                "Appliance", "CoreEngine", "HTTP", "Storage", "S3Server", "SigV4", "CLMDB", "ListenerSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),

        .testTarget(name: "CoreEngineTests", dependencies: ["CoreEngine"], swiftSettings: strict),
        .testTarget(name: "StorageTests", dependencies: ["Storage", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4"], swiftSettings: strict),
        .testTarget(name: "MailTests", dependencies: ["Mail"], swiftSettings: strict),
        .testTarget(name: "ListenerSupportTests", dependencies: ["ListenerSupport"], swiftSettings: strict),
        .testTarget(
            name: "S3ServerTests",
            dependencies: [
                "S3Server", "Storage", "SigV4",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict),
        .testTarget(name: "ApplianceTests", dependencies: ["Appliance", "CoreEngine", "Storage"], swiftSettings: strict),
        .testTarget(
            name: "HTTPTests",
            dependencies: [
                "HTTP", "Appliance", "CoreEngine", "Storage",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
