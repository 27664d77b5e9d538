import EndpointTestSupport
import Foundation
import FoundationNetworking
import Hummingbird
import Logging
import PlatformWire
import SubmitReceiver

#if canImport(FoundationNetworking)
#endif

/// The reference platform (`lambda-receiver`'s fleet side) in this test process on a free
/// loopback port, trusting the endpoints of `PullEndpoints`, traces kept per endpoint.
final class LivePlatform: Sendable {
    let platform: ReferencePlatform
    let directory: String
    let port: Int
    private let task: Task<Void, any Error>

    /// `resultFault`: results of the endpoints answered with the status it returns (`ResultFault`).
    init(unsignedTasks: Bool = false, resultFault: ResultFault? = nil) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-platform-\(UUID().uuidString)").path
        platform = ReferencePlatform(
            store: try SubmitStore(directory: directory, perEndpoint: true),
            credentials: EndpointCredentials(.table(Dictionary(uniqueKeysWithValues: PullEndpoints.all.map { ($0.uuid, $0.secret) }))),
            unsignedTasks: unsignedTasks,
            resultFault: resultFault
        )
        var logger = Logger(label: "test-platform")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: buildPlatformRouter(platform: platform),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        port = await iterator.next() ?? 0
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() {
        task.cancel()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Queues `task` for `endpoint` as an operator would (`POST /tasks`).
    func enqueue(_ task: PlatformTask, for endpoint: String) async {
        await platform.queues.enqueue(task, for: endpoint)
    }

    /// The result of task `id`, once the endpoint sent it.
    func waitForResult(_ id: String, timeout: Duration = .seconds(20)) async throws -> TaskResult {
        try await eventuallyValue("the result of task \(id)", timeout: timeout) { await self.platform.queues.result(id) }
    }

    func endpoints() async -> [ListedEndpoint] { await platform.registry.list() }

    /// What endpoint `uuid` answers `GET path`, asked as a task: a pull endpoint's port
    /// serves `/heartbeat` alone.
    func ask(_ uuid: String, _ path: String) async throws -> TaskResult {
        let id = "ask-\(UUID().uuidString)"
        await enqueue(PlatformTask(id: id, method: "GET", path: path), for: uuid)
        return try await waitForResult(id)
    }

    /// How many runs endpoint `uuid` has, running and finished, asked as tasks.
    func runCount(_ uuid: String) async throws -> Int {
        var count = 0
        for path in ["/traces/running/all", "/traces/finished"] {
            let answer = try await ask(uuid, path)
            guard answer.status == 200, case .array(let runs) = answer.body else { throw MissingValue() }
            count += runs.count
        }
        return count
    }

    /// When `uuid` last registered or polled.
    func lastSeen(_ uuid: String) async -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return await endpoints().first { $0.uuid == uuid }?.lastSeen.flatMap(formatter.date(from:))
    }
}

/// The endpoints a `LivePlatform` trusts: uuids and secrets for `EndpointProcess`'s config.
enum PullEndpoints {
    struct Identity: Sendable {
        let uuid: String
        let secret: String

        /// lambda-settings.yml overrides that make an endpoint this one, polling `platform`.
        func settings(_ platform: LivePlatform, control: String = "pull", labels: String? = nil, pollWait: Int = 2) -> [String: String?] {
            settings(platformURL: platform.url, control: control, labels: labels, pollWait: pollWait)
        }

        func settings(platformURL: String, control: String = "pull", labels: String? = nil, pollWait: Int = 2) -> [String: String?] {
            [
                "endpoint-uuid": uuid, "secret": "\"\(secret)\"", "platform-url": platformURL, "control": control, "labels": labels,
                "poll-wait": "\(pollWait)", "register-interval": "5", "keep-run-files": "true",
            ]
        }
    }

    static let db = Identity(uuid: "aaaaaaaa-0000-4000-8000-000000000001", secret: "db-secret")
    static let web = Identity(uuid: "aaaaaaaa-0000-4000-8000-000000000002", secret: "web-secret")
    static let pushed = Identity(uuid: "aaaaaaaa-0000-4000-8000-000000000003", secret: "pushed-secret")
    static var all: [Identity] { [db, web, pushed] }
}
