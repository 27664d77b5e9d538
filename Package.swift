// swift-tools-version:6.2
import PackageDescription

/// What the platform client is built on (Submitter), and its tests' loopback servers.
let nioHTTPClient: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
    .product(name: "NIOSSL", package: "swift-nio-ssl"),
]

let package = Package(
    name: "lambda-endpoint",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lambda-endpoint", targets: ["Endpoint"]),
        .executable(name: "lambda-receiver", targets: ["Receiver"]),
        .library(name: "Submitter", targets: ["Submitter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.27.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // SHA-256 of traced binaries (BoringSSL's, already built for swift-nio-extras).
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
    ],
    targets: [
        // libargon2 from the system (Debian: libargon2-dev), in the style of GRDB's GRDBSQLite.
        .systemLibrary(
            name: "CArgon2",
            pkgConfig: "libargon2",
            providers: [.apt(["libargon2-dev"])]
        ),
        // Linux calls that Swift's Glibc module does not expose (they need _GNU_SOURCE).
        .target(name: "CLinux"),
        // Models, configuration, validation, authentication, storage and the analysis
        // catalogue: no HTTP here.
        .target(
            name: "EndpointCore",
            dependencies: [
                "CArgon2",
                "CLinux",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The platform-facing side: outgoing authorization, the /submit wire format, its
        // HTTP client (SwiftNIO's HTTP/1.1 pipeline, NIOSSL for https) and the delivery of a
        // file to the platform; knows nothing of tracers (usable on its own).
        .target(
            name: "Submitter",
            dependencies: [
                "CLinux",
                "EndpointCore",
                .product(name: "Logging", package: "swift-log"),
            ] + nioHTTPClient
        ),
        // Trace runs: spawning tracers, draining their output, stopping them, the registry.
        .target(
            name: "Runs",
            dependencies: [
                "CLinux",
                "EndpointCore",
                "Submitter",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The reference platform: /submit's receiver that reassembles streams, and a
        // fleet's side of pull mode (registrations, signed task queues, results, fan-out).
        .target(
            name: "SubmitReceiver",
            dependencies: [
                "EndpointCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "Receiver",
            dependencies: [
                "EndpointCore",
                "SubmitReceiver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The HTTP application: routes, controllers, error mapping, auth middleware, the
        // connection limits (NIO channel handlers: cap, read deadline), and pull mode
        // (registering with the platform, polling it for tasks run through the routes).
        .target(
            name: "EndpointServer",
            dependencies: [
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                // A pull-mode task's request runs through the router in process: its
                // context needs a channel, and no socket is involved.
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "EndpointCore",
                "Submitter",
                "Runs",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `lambda-endpoint doctor`: the host checks.
        .target(
            name: "Diagnostics",
            dependencies: ["EndpointCore", "Runs", "Submitter"]
        ),
        // Thin executable: the command line.
        .executableTarget(
            name: "Endpoint",
            dependencies: [
                "Diagnostics",
                "EndpointCore",
                "EndpointServer",
                "Submitter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Helpers shared by the test targets: temporary config directories, the template
        // rule cases, spawned processes, certificates, deadlines and waits, and the servers
        // on loopback: SubmitReceiver and Hummingbird for the reference platform (one
        // `LivePlatform` for the run tests and the platform's own) and the test fakes'
        // servers (`LoopbackServer`).
        .target(
            name: "EndpointTestSupport",
            dependencies: [
                "EndpointCore",
                "SubmitReceiver",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/EndpointTestSupport"
        ),
        .testTarget(
            name: "EndpointCoreTests",
            dependencies: ["EndpointCore", "EndpointTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "EndpointServerTests",
            dependencies: [
                "EndpointServer",
                "EndpointCore",
                "Submitter",
                "EndpointTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        // Real tracer runs: the built binary as root and as unprivileged users through
        // sudo, streaming to an in-process reference receiver; Runs for its exit-status reader.
        .testTarget(
            name: "EndpointRunTests",
            dependencies: [
                "Diagnostics",
                "Endpoint",
                "EndpointCore",
                "EndpointTestSupport",
                "Runs",
                "SubmitReceiver",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
            ]
        ),
        // The run machinery in process, without HTTP: the lifecycle and the stop sequence as
        // values, a tracer's output read in batches, races with a real child process,
        // parallel starts against the supervisor.
        .testTarget(
            name: "RunsTests",
            dependencies: ["Runs", "EndpointCore", "Submitter", "EndpointTestSupport"]
        ),
        // The Submitter library's own tests: the retry policy, the submit bodies, the
        // outgoing Authorization header; a run's delivery against a recording transport:
        // chunk boundaries, resume, refusals, retries, a file that goes away; and the
        // platform client against loopback servers in this process (NIO's server codec,
        // scripted answers). No processes but openssl for the test certificates.
        .testTarget(
            name: "SubmitterTests",
            dependencies: ["Submitter", "EndpointCore", "EndpointTestSupport"] + nioHTTPClient
        ),
        // The reference platform: parsing and reassembly without a network, and its fleet
        // routes over real HTTP on loopback.
        .testTarget(
            name: "SubmitReceiverTests",
            dependencies: ["SubmitReceiver", "EndpointCore", "Submitter", "EndpointTestSupport"]
        ),
        // Runs the built `lambda-endpoint` binary as an operator would.
        .testTarget(
            name: "EndpointCLITests",
            dependencies: ["Endpoint", "EndpointTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
