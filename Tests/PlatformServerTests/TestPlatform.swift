import Authentication
import Credentials
import EndpointTestSupport
import Foundation
import Logging
import PlatformServer
import PlatformStore
import SQLKit

/// The platform in this test process: the real router on a free loopback port, its
/// database on the engine `PlatformTestEngine.current` names (a real SQLite file in a
/// temporary directory, or a fresh database of the shared PostgreSQL cluster), settings
/// as platform.yml would give them. `call` makes real HTTP requests.
final class TestPlatform: @unchecked Sendable {
    /// Two endpoints platform.yml declares (pull ones: no url).
    static let first = (uuid: "6f1d9a4e-1c2b-4d3e-8f70-112233445566", secret: "first-endpoint-secret")
    static let second = (uuid: "7a2e0b5f-2d3c-4e4f-9081-223344556677", secret: "second-endpoint-secret")

    let directory: String
    let platform: Platform
    /// The PostgreSQL database this fixture made (dropped by `stop`); nil on SQLite or when
    /// `configure` named a database of its own.
    private let madeDatabase: String?
    private let server: LoopbackServer
    var url: String { "http://127.0.0.1:\(server.port)" }

    /// `configure` changes the settings before the platform is built; `clock`: the
    /// operator side's time (token expiry, login throttle, online); `logger`: the platform's.
    init(configure: (inout PlatformSettings) -> Void = { _ in }, clock: OperatorClock = .system, logger: Logger? = nil) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("test-platform-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var settings = PlatformSettings()
        settings.directory = directory
        settings.port = 0
        settings.maxPollWait = 2
        settings.endpoints = [Self.first, Self.second].map { .init(uuid: $0.uuid, secret: $0.secret, url: nil, labels: nil) }
        configure(&settings)
        if PlatformTestEngine.current == .postgres && !PostgresLocation.names(settings.database) {
            let url = try await PlatformTestEngine.databaseURL()
            settings.database = url
            settings.databasePoolSize = PlatformTestEngine.poolSize
            madeDatabase = url
        } else {
            madeDatabase = nil
        }
        let database = try await PlatformDatabaseOpening.open(settings, logger: .init(label: "test-platform"))
        platform = Platform(settings: settings, database: database, logger: logger ?? Logger(label: "lambda-platform"))
        try await platform.declareEndpoints()
        server = await LoopbackServer(router: buildPlatformRouter(platform: platform, clock: clock), label: "test-platform")
    }

    func stop() async {
        server.stop()
        await platform.database.close()
        if let madeDatabase { await PlatformTestEngine.dropDatabase(madeDatabase) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Authorization values made once per endpoint (an argon2 run each).
    static let authorizations: [String: String] = {
        var values: [String: String] = [:]
        for endpoint in [first, second] {
            values[endpoint.uuid] = try! AuthorizationHeader.make(endpointUUID: endpoint.uuid, secret: endpoint.secret)
        }
        return values
    }()

    /// A request signed as `endpoint` signs it.
    func call(_ method: String, _ path: String, as endpoint: (uuid: String, secret: String), json: String? = nil) async throws -> HTTPAnswer {
        try await HTTPAnswer.call(url, method, path, authorization: Self.authorizations[endpoint.uuid], signingSecret: endpoint.secret, json: json)
    }

    /// An operator's request with a bearer token.
    func call(_ method: String, _ path: String, bearer: String? = nil, json: String? = nil) async throws -> HTTPAnswer {
        try await HTTPAnswer.call(url, method, path, bearer: bearer, json: json)
    }
}

extension TestPlatform {
    /// A token of a new account of `role`, made straight in the database (the login route
    /// has tests of its own).
    func token(_ role: String, name: String = "user-\(UUID().uuidString.prefix(8))") async throws -> String {
        try await platform.database.write { sql in
            try await sql.raw(
                "INSERT INTO accounts (name, role, password_hash, created) VALUES (\(bind: name), \(bind: role), 'not-a-hash', \(bind: Clock.milliseconds()))"
            ).run()
        }
        return try await platform.tokens.issue(for: name, lifetime: 3_600_000).token
    }
}
