import EndpointTestSupport
import Foundation
import PlatformServer
import PlatformStore
import SQLKit

/// `lambda-platform`'s router in this test process on a free loopback port, its database
/// a real SQLite file, trusting the `PullEndpoints` identities (a push endpoint's `url`
/// is declared once that endpoint listens), with an operator's token for `/api/` calls.
final class SessionPlatform: @unchecked Sendable {
    let directory: String
    let platform: Platform
    private let server: LoopbackServer
    private(set) var token = ""
    var url: String { "http://127.0.0.1:\(server.port)" }

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("session-platform-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var settings = PlatformSettings()
        settings.directory = directory
        settings.port = 0
        settings.maxPollWait = 2
        settings.endpoints = PullEndpoints.all.map { .init(uuid: $0.uuid, secret: $0.secret) }
        let database = try await PlatformDatabaseOpening.open(settings, logger: .init(label: "session-platform"))
        platform = Platform(settings: settings, database: database)
        try await platform.declareEndpoints()
        server = await LoopbackServer(router: buildPlatformRouter(platform: platform), label: "session-platform")
        let name = "operator-\(UUID().uuidString.prefix(8))"
        try await platform.database.write { sql in
            try await sql.raw(
                "INSERT INTO accounts (name, role, password_hash, created) VALUES (\(bind: name), 'operator', 'not-a-hash', \(bind: Clock.milliseconds()))"
            ).run()
        }
        token = try await platform.tokens.issue(for: name, lifetime: 3_600_000).token
    }

    func stop() async {
        server.stop()
        await platform.database.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Makes `identity` a push endpoint the platform calls at `port`, with `labels`.
    func declarePush(_ identity: PullEndpoints.Identity, port: Int, labels: [String: String]) async throws {
        try await platform.endpoints.declare(uuid: identity.uuid, url: "http://127.0.0.1:\(port)", labels: labels)
    }

    /// An operator's call to the API.
    func api(_ method: String, _ path: String, json: String? = nil) async throws -> HTTPAnswer {
        try await HTTPAnswer.call(url, method, path, bearer: token, json: json)
    }

    /// Creates a session from `json`; its id.
    func createSession(_ json: String) async throws -> String {
        let answer = try await api("POST", "/api/sessions", json: json)
        guard answer.status == 201, let id = try answer.json(SessionAnswer.self).id as String? else {
            throw EndpointProcess.UnexpectedAnswer(description: "POST /api/sessions answered \(answer.status): \(answer.text)")
        }
        return id
    }

    func session(_ id: String) async throws -> SessionAnswer {
        let answer = try await api("GET", "/api/sessions/\(id)")
        guard answer.status == 200 else {
            throw EndpointProcess.UnexpectedAnswer(description: "GET /api/sessions/\(id) answered \(answer.status): \(answer.text)")
        }
        return try answer.json(SessionAnswer.self)
    }

    /// The contiguous bytes of run `id`'s stream as stored.
    func stream(of id: String) async throws -> Data {
        guard let run = try await platform.runs.run(id) else { return Data() }
        var bytes = Data()
        var next: Int64 = 0
        while next < run.chunks {
            let chunks = try await platform.runs.chunks(of: id, from: next, upTo: run.chunks)
            for chunk in chunks { bytes += chunk }
            next += Int64(chunks.count)
        }
        return bytes
    }
}

/// SESSION as tests read it.
struct SessionAnswer: Decodable {
    struct Endpoint: Decodable, Equatable {
        var uuid: String
        var hostname: String?
        var state: String
        var run: String?
        var status: Int?
        var error: String?
        var code: Int?
        var bytes: Int
    }

    var id: String
    var running: Bool
    var endpoints: [Endpoint]

    func endpoint(_ uuid: String) -> Endpoint? { endpoints.first { $0.uuid == uuid } }
}
