import Authentication
import Credentials
import Foundation
import FoundationNetworking
import Hummingbird
import Logging
import SubmitReceiver

#if canImport(FoundationNetworking)
#endif

/// The reference platform in this test process on a free loopback port, trusting two
/// endpoints, with traces in a directory per endpoint; real HTTP to it.
final class LivePlatform: Sendable {
    static let first = (uuid: "11111111-1111-4111-8111-111111111111", secret: "first-secret")
    static let second = (uuid: "22222222-2222-4222-8222-222222222222", secret: "second-secret")
    static let pushed = (uuid: "33333333-3333-4333-8333-333333333333", secret: "pushed-secret")
    static let secrets = Dictionary(uniqueKeysWithValues: [first, second, pushed].map { ($0.uuid, $0.secret) })

    let platform: ReferencePlatform
    let directory: String
    let port: Int
    private let task: Task<Void, any Error>

    init(
        pushEndpoints: [PushEndpoint] = [],
        pushClient: any PushEndpointCalling = URLSessionPushClient(),
        unsignedTasks: Bool = false
    ) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reference-platform-\(UUID().uuidString)").path
        platform = ReferencePlatform(
            store: try SubmitStore(directory: directory, perEndpoint: true),
            credentials: EndpointCredentials(
                .table([Self.first.uuid: Self.first.secret, Self.second.uuid: Self.second.secret, Self.pushed.uuid: Self.pushed.secret])
            ),
            pushEndpoints: pushEndpoints,
            pushClient: pushClient,
            unsignedTasks: unsignedTasks
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

    func stop() {
        task.cancel()
        try? FileManager.default.removeItem(atPath: directory)
    }

    struct Answer {
        let status: Int
        let headers: [String: String]
        let body: Data

        func json<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: body) }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// With `authorization`, the request is also signed (`Lambda-Signature`) with the secret
    /// of the endpoint it names, as an endpoint signs, unless `signed` is false.
    func call(_ method: String, _ path: String, authorization: String? = nil, json: String? = nil, signed: Bool = true) async throws -> Answer {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 60
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let body = Data((json ?? "").utf8)
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(json.utf8)
        }
        if signed, let authorization, let secret = Self.secrets[String(authorization.prefix(36)).lowercased()] {
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
    static func authorization(_ endpoint: (uuid: String, secret: String)) throws -> String {
        try AuthorizationHeader.make(endpointUUID: endpoint.uuid, secret: endpoint.secret)
    }

    static func registration(_ uuid: String, control: String = "pull", labels: String = #"{"role": "db"}"#) -> String {
        #"{"uuid": "\#(uuid)", "hostname": "host-\#(uuid.prefix(4))", "labels": \#(labels), "version": "1.2.3", "control": "\#(control)", "analyses": ["cpu"], "time": "2026-12-02T06:00:00Z"}"#
    }
}
