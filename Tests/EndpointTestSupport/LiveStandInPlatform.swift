import Authentication
import Credentials
import Foundation
import FoundationNetworking
import PlatformServer
import PlatformWire
import SubmitReceiver

#if canImport(FoundationNetworking)
#endif

/// The stand-in platform (`StandInPlatform`, `lambda-test-receiver`'s fleet side) in this
/// test process on a free loopback port, trusting the endpoints it is given, with traces in
/// a directory per endpoint; real HTTP to it. It is the endpoint tests' stand-in for what
/// `lambda-platform` must not do: unsigned answers and refused results, on purpose
/// (sessions over the fleet are tested against the real platform). Each test target names
/// its endpoints in a convenience init.
public final class LiveStandInPlatform: Sendable {
    public let platform: StandInPlatform
    public let directory: String
    /// The trusted endpoints' secrets by uuid: what `call` signs requests with.
    public let secrets: [String: String]
    private let server: LoopbackServer

    /// `resultFault`: results of the endpoints answered with the status it returns (`ResultFault`).
    public init(
        trusting endpoints: [(uuid: String, secret: String)],
        unsignedTasks: Bool = false,
        resultFault: ResultFault? = nil
    ) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("stand-in-platform-\(UUID().uuidString)").path
        secrets = Dictionary(uniqueKeysWithValues: endpoints.map { ($0.uuid, $0.secret) })
        platform = StandInPlatform(
            store: try SubmitStore(directory: directory, perEndpoint: true),
            credentials: EndpointCredentials(.table(secrets)),
            unsignedTasks: unsignedTasks,
            resultFault: resultFault
        )
        server = await LoopbackServer(router: buildPlatformRouter(platform: platform), label: "test-platform")
    }

    public var port: Int { server.port }
    public var url: String { "http://127.0.0.1:\(port)" }

    public func stop() {
        server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: The fleet, as an operator sees it

    /// Queues `task` for `endpoint` as an operator would (`POST /tasks`).
    public func enqueue(_ task: PlatformTask, for endpoint: String) async {
        await platform.queues.enqueue(task, for: endpoint)
    }

    /// The result of task `id`, once the endpoint sent it.
    public func waitForResult(_ id: String, timeout: Duration = .seconds(20)) async throws -> TaskResult {
        try await eventuallyValue("the result of task \(id)", timeout: timeout) { await self.platform.queues.result(id) }
    }

    public func endpoints() async -> [ListedEndpoint] { await platform.registry.list() }

    /// What endpoint `uuid` answers `GET path`, asked as a task: a pull endpoint's port
    /// serves `/heartbeat` alone.
    public func ask(_ uuid: String, _ path: String) async throws -> TaskResult {
        let id = "ask-\(UUID().uuidString)"
        await enqueue(PlatformTask(id: id, method: "GET", path: path), for: uuid)
        return try await waitForResult(id)
    }

    /// How many runs endpoint `uuid` has, running and finished, asked as tasks.
    public func runCount(_ uuid: String) async throws -> Int {
        var count = 0
        for path in ["/traces/running/all", "/traces/finished"] {
            let answer = try await ask(uuid, path)
            guard answer.status == 200, case .array(let runs) = answer.body else {
                throw HomeMadeContainer.Failure("\(path) of \(uuid) answered \(answer.status), not a list of runs")
            }
            count += runs.count
        }
        return count
    }

    /// When `uuid` last registered or polled.
    public func lastSeen(_ uuid: String) async -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let seen = await endpoints().first(where: { $0.uuid == uuid })?.lastSeen else { return nil }
        return formatter.date(from: seen)
    }

    // MARK: Its HTTP API, as a client calls it

    public typealias Answer = HTTPAnswer

    /// With `authorization`, the request is also signed (`Lambda-Signature`) with the secret
    /// of the endpoint it names, as an endpoint signs, unless `signed` is false.
    public func call(
        _ method: String,
        _ path: String,
        authorization: String? = nil,
        json: String? = nil,
        signed: Bool = true
    ) async throws -> Answer {
        let secret = signed ? authorization.flatMap { secrets[String($0.prefix(36)).lowercased()] } : nil
        return try await HTTPAnswer.call(url, method, path, authorization: authorization, signingSecret: secret, json: json)
    }

    /// A fresh Authorization value of an endpoint (one argon2 run).
    public static func authorization(_ endpoint: (uuid: String, secret: String)) throws -> String {
        try AuthorizationHeader.make(endpointUUID: endpoint.uuid, secret: endpoint.secret)
    }
}
