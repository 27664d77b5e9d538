import Authentication
import Credentials
import Foundation
import FoundationNetworking
import PlatformWire
import SubmitReceiver

#if canImport(FoundationNetworking)
#endif

/// The reference platform (`lambda-receiver`'s fleet side) in this test process on a free
/// loopback port, trusting the endpoints it is given, with traces in a directory per
/// endpoint; real HTTP to it. Each test target names its endpoints in a convenience init.
public final class LivePlatform: Sendable {
    public let platform: ReferencePlatform
    public let directory: String
    /// The trusted endpoints' secrets by uuid: what `call` signs requests with.
    public let secrets: [String: String]
    private let server: LoopbackServer

    /// `resultFault`: results of the endpoints answered with the status it returns (`ResultFault`).
    public init(
        trusting endpoints: [(uuid: String, secret: String)],
        pushEndpoints: [PushEndpoint] = [],
        pushClient: any PushEndpointCalling = URLSessionPushClient(),
        unsignedTasks: Bool = false,
        resultFault: ResultFault? = nil
    ) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reference-platform-\(UUID().uuidString)").path
        secrets = Dictionary(uniqueKeysWithValues: endpoints.map { ($0.uuid, $0.secret) })
        platform = ReferencePlatform(
            store: try SubmitStore(directory: directory, perEndpoint: true),
            credentials: EndpointCredentials(.table(secrets)),
            pushEndpoints: pushEndpoints,
            pushClient: pushClient,
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
        return await endpoints().first { $0.uuid == uuid }?.lastSeen.flatMap(formatter.date(from:))
    }

    // MARK: Its HTTP API, as a client calls it

    public struct Answer: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let body: Data

        public func json<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: body) }
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// With `authorization`, the request is also signed (`Lambda-Signature`) with the secret
    /// of the endpoint it names, as an endpoint signs, unless `signed` is false.
    public func call(
        _ method: String,
        _ path: String,
        authorization: String? = nil,
        json: String? = nil,
        signed: Bool = true
    ) async throws -> Answer {
        var request = URLRequest(url: URL(string: "\(url)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 60
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let body = Data((json ?? "").utf8)
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(json.utf8)
        }
        if signed, let authorization, let secret = secrets[String(authorization.prefix(36)).lowercased()] {
            let signer = MessageSigner(uuid: String(authorization.prefix(36)), secret: secret)
            request.setValue(
                signer.sign(.request, method: method, pathAndQuery: path, body: body).headerValue,
                forHTTPHeaderField: LambdaSignature.headerName
            )
        }
        let (data, response) = try await Self.session.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
        }
        return Answer(status: http.statusCode, headers: headers, body: data)
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration)
    }()

    /// A fresh Authorization value of an endpoint (one argon2 run).
    public static func authorization(_ endpoint: (uuid: String, secret: String)) throws -> String {
        try AuthorizationHeader.make(endpointUUID: endpoint.uuid, secret: endpoint.secret)
    }
}
