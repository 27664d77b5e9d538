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
        .executable(name: "lambda-test-receiver", targets: ["Receiver"]),
        .executable(name: "lambda-platform", targets: ["Platform"]),
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
        // SHA-256 of traced binaries and HMAC-SHA-256 of signed messages (BoringSSL's, already
        // built for swift-nio-extras).
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        // The platform's database: one SQL builder (SQLKit) over SQLite now and PostgreSQL
        // later, so the platform's queries are written once (docs/platform.md, *Storage*).
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        // PostgreSQL for several platform instances (docs/platform.md, *More than one
        // instance*): postgres-nio's pooled client, postgres-kit's SQLKit driver over it.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
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
        // What the endpoint's API and its tracers speak, as values: templates, requests and
        // their validation, the analysis catalogue and its programs, targets, tracer programs,
        // the ELF reader. Foundation only: the fuzzers build this target whole (scripts/fuzz.sh).
        .target(name: "TraceModel"),
        // What an endpoint and a platform say to each other: `/submit` bodies and their
        // parser, the delivery cursor, `finished`, registrations, tasks and their results.
        // ByteBuffer is the bodies' currency on both sides, hence NIOCore and nothing else.
        .target(
            name: "PlatformWire",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // A secret and its verifier: argon2 hashes (libargon2), the `Authorization` header,
        // the cache of verified headers. What the auth fuzzer builds whole.
        .target(name: "Credentials", dependencies: ["CArgon2"]),
        // Protocol Buffers' wire format written by hand: what pprof profiles and OTLP log
        // exports are made of (two messages; generated code would need protoc). No deps.
        .target(name: "ProtobufWire"),
        // zlib from the system (Debian: zlib1g-dev), for the gzip of pprof profiles.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // A run's stream as pictures, plain computation apart from HTTP and storage: stack
        // maps summed into folded stacks, pprof profiles and flame graph SVGs; histograms as
        // JSON (docs/platform.md "Pictures").
        .target(name: "RunPictures", dependencies: ["CZlib", "ProtobufWire"]),
        // Who sent a request: the endpoint's request authenticator, `Lambda-Signature`
        // (HMAC-SHA-256 of every message, swift-crypto), its nonce window, outgoing
        // credentials. Endpoint and platform both depend on it.
        .target(
            name: "Authentication",
            dependencies: ["Credentials", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // `settings.yml` and `lambda-settings.yml` (Yams): every setting's definition, default
        // and range, and the typed settings the rest reads.
        .target(
            name: "EndpointConfig",
            dependencies: [
                "Credentials",
                "PlatformWire",
                "TraceModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The endpoint's SQLite file (GRDB): templates, runs and their delivery cursors, the
        // record of executed pull-mode tasks.
        .target(
            name: "EndpointStorage",
            dependencies: ["PlatformWire", "TraceModel", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // What this host is and has, read from its files: containers and cgroups, what it
        // offers analyses, the identity of binaries (SHA-256, swift-crypto) and their held
        // descriptors, and the thread pools that all this blocking work runs on.
        .target(
            name: "HostSystem",
            dependencies: ["CLinux", "EndpointConfig", "TraceModel", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The endpoint's Prometheus metrics (`GET /metrics`): requests, runs, connections.
        .target(
            name: "PrometheusMetrics",
            dependencies: ["TraceModel", .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        // The platform-facing side: the HTTP client every call to the platform goes through
        // (SwiftNIO's HTTP/1.1 pipeline, NIOSSL for https, each request signed) and the
        // delivery of a file to `/submit`; knows nothing of tracers, SQLite or YAML (usable
        // on its own).
        .target(
            name: "Submitter",
            dependencies: [
                "Authentication",
                "CLinux",
                "PlatformWire",
                .product(name: "Logging", package: "swift-log"),
            ] + nioHTTPClient
        ),
        // Trace runs: the start rules (`RunApproval`), spawning tracers, draining their output,
        // stopping them, the registry.
        .target(
            name: "Runs",
            dependencies: [
                "CLinux",
                "EndpointConfig",
                "EndpointStorage",
                "HostSystem",
                "PlatformWire",
                "PrometheusMetrics",
                "Submitter",
                "TraceModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The reference platform: /submit's receiver that reassembles streams, and a
        // fleet's side of pull mode (registrations, signed task queues, results, fan-out).
        // The wire and authentication are all it shares with the endpoint.
        .target(
            name: "SubmitReceiver",
            dependencies: [
                "Authentication",
                "Credentials",
                "PlatformServer",
                "PlatformWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The platform's durable state: one SQL schema and its migrations, and a store per
        // concern (endpoints, tasks, runs and their chunks, events, accounts and tokens,
        // sessions), written against SQLKit's `SQLDatabase` so the same queries serve SQLite
        // (sqlite-nio's own thread pool: no blocking on Swift's) and PostgreSQL (postgres-nio's
        // pool, LISTEN/NOTIFY between instances, advisory locks).
        .target(
            name: "PlatformStore",
            dependencies: [
                "PlatformWire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "PostgresKit", package: "postgres-kit"),
            ]
        ),
        // `lambda-platform`'s server: platform.yml, the endpoint-facing routes (`/submit`,
        // registrations, tasks, results, events: authenticated, signed, committed before
        // answered), the operator API behind accounts, sessions over the fleet, retention.
        .target(
            name: "PlatformServer",
            dependencies: [
                "Authentication",
                "Credentials",
                "PlatformStore",
                "PlatformWire",
                "ProtobufWire",
                "RunPictures",
                "TraceModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Thin executable: `lambda-platform serve|account|fleet`.
        .executableTarget(
            name: "Platform",
            dependencies: [
                "PlatformServer",
                "PlatformStore",
                "PlatformWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "Receiver",
            dependencies: [
                "Credentials",
                "EndpointConfig",
                "PlatformWire",
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
                "Authentication",
                "EndpointConfig",
                "EndpointStorage",
                "HostSystem",
                "PlatformWire",
                "PrometheusMetrics",
                "Runs",
                "Submitter",
                "TraceModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `lambda-endpoint doctor`: the host checks.
        .target(
            name: "Diagnostics",
            dependencies: ["Authentication", "EndpointConfig", "HostSystem", "Runs", "Submitter", "TraceModel"]
        ),
        // Thin executable: the command line.
        .executableTarget(
            name: "Endpoint",
            dependencies: [
                "Credentials",
                "Diagnostics",
                "EndpointConfig",
                "EndpointServer",
                "HostSystem",
                "TraceModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Helpers shared by the test targets: temporary config directories, the template
        // rule cases, spawned processes, certificates, deadlines and waits, and the servers
        // on loopback: SubmitReceiver and Hummingbird for the reference platform (one
        // `LiveStandInPlatform` for the run tests and the platform's own) and the test fakes'
        // servers (`LoopbackServer`).
        .target(
            name: "EndpointTestSupport",
            dependencies: [
                "Authentication",
                "Credentials",
                "HostSystem",
                "PlatformWire",
                "PlatformServer",
                "SubmitReceiver",
                "TraceModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/EndpointTestSupport"
        ),
        // The values: templates and their rules (with a property over random ones), requests,
        // analyses and their programs (checked by `bpftrace -d`), targets, tracer programs,
        // the ELF reader and the host files' parsers.
        .testTarget(name: "TraceModelTests", dependencies: ["EndpointTestSupport", "TraceModel"]),
        // argon2 (libargon2's answers, one thread a verification), the request authenticator
        // and its caches, signatures and the nonce window.
        .testTarget(name: "AuthenticationTests", dependencies: ["Authentication", "Credentials", "EndpointTestSupport"]),
        // The settings files: every key's default and range as documented in Config/, the
        // errors, the files' modes.
        .testTarget(
            name: "EndpointConfigTests",
            dependencies: ["Credentials", "EndpointConfig", "EndpointStorage", "EndpointTestSupport", "HostSystem"]
        ),
        // The SQLite file: migrations, templates, runs, cursors, the record of tasks.
        .testTarget(
            name: "EndpointStorageTests",
            dependencies: [
                "EndpointStorage", "EndpointTestSupport", "PlatformWire", "TraceModel", .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The host's files: containers and cgroups on fake host trees, the tracing host,
        // binary identity, the blocking pools.
        .testTarget(name: "HostSystemTests", dependencies: ["EndpointTestSupport", "HostSystem", "TraceModel"]),
        .testTarget(
            name: "EndpointServerTests",
            dependencies: [
                "EndpointConfig",
                "EndpointServer",
                "EndpointTestSupport",
                "PlatformWire",
                "Submitter",
                "TraceModel",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        // Real tracer runs: the built binary as root and as unprivileged users through
        // sudo, streaming to an in-process reference receiver; Runs for its exit-status reader.
        .testTarget(
            name: "EndpointRunTests",
            dependencies: [
                "Diagnostics",
                "Authentication",
                "Credentials",
                "Endpoint",
                "EndpointTestSupport",
                "HostSystem",
                "Platform",
                "PlatformServer",
                "PlatformStore",
                "PlatformWire",
                "Runs",
                "SubmitReceiver",
                "TraceModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "SQLKit", package: "sql-kit"),
            ]
        ),
        // The run machinery in process, without HTTP: the start rules (`RunApproval`), the
        // lifecycle and the stop sequence as values, a tracer's output read in batches (its
        // blocks are NIOCore's ByteBuffers), races with a real child process, parallel
        // starts against the supervisor.
        .testTarget(
            name: "RunsTests",
            dependencies: [
                "Authentication", "EndpointConfig", "EndpointStorage", "EndpointTestSupport", "HostSystem", "PlatformWire", "Runs", "Submitter",
                "TraceModel", .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The Submitter library's own tests: the retry policy, the submit bodies, the
        // outgoing Authorization header; a run's delivery against a recording transport:
        // chunk boundaries, resume, refusals, retries, a file that goes away; and the
        // platform client against loopback servers in this process (NIO's server codec,
        // scripted answers). No processes but openssl for the test certificates.
        .testTarget(
            name: "SubmitterTests",
            dependencies: ["Authentication", "Credentials", "EndpointTestSupport", "PlatformWire", "Submitter"] + nioHTTPClient
        ),
        // The reference platform: parsing and reassembly without a network, and its fleet
        // routes over real HTTP on loopback.
        .testTarget(
            name: "SubmitReceiverTests",
            dependencies: ["Authentication", "Credentials", "EndpointTestSupport", "PlatformServer", "PlatformWire", "SubmitReceiver", "Submitter"]
        ),
        // The platform's stores on real SQLite files and, in a second pass of `make test`
        // (LAMBDA_TEST_PLATFORM_ENGINE=postgres), real PostgreSQL databases: schema and
        // migrations, chunks and their contiguous prefix, tasks handed out once, bounds.
        .testTarget(
            name: "PlatformStoreTests",
            dependencies: ["EndpointTestSupport", "PlatformStore", "PlatformWire", .product(name: "SQLKit", package: "sql-kit")]
        ),
        // The platform's routes over real HTTP on loopback, in this process, on real SQLite
        // files and (second pass) PostgreSQL databases; two instances on one database, the
        // database stopped and started; the built `lambda-platform` binary as an operator runs it.
        .testTarget(
            name: "PlatformServerTests",
            dependencies: [
                "Authentication", "Credentials", "EndpointTestSupport", "Platform", "PlatformServer", "PlatformStore", "PlatformWire",
                "ProtobufWire", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "SQLKit", package: "sql-kit"),
            ]
        ),
        // Runs the built `lambda-endpoint` binary as an operator would.
        .testTarget(
            name: "EndpointCLITests",
            dependencies: ["Endpoint", "EndpointTestSupport", "Platform"]
        ),
        // Stack maps and histograms of real bpftrace output into folded stacks (byte for
        // byte), pprof read back by `go tool pprof`, flame graph SVGs parsed as XML.
        .testTarget(name: "RunPicturesTests", dependencies: ["EndpointTestSupport", "RunPictures"]),
    ],
    swiftLanguageModes: [.v6]
)
