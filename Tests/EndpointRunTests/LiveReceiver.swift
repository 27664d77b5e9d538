import EndpointCore
import EndpointTestSupport
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import SubmitReceiver

/// The reference receiver, in this test process, on a free loopback port.
final class LiveReceiver: Sendable {
    let store: SubmitStore
    let port: Int
    let directory: String
    private let task: Task<Void, any Error>

    let scheme: String

    /// A receiver on a free port; `fault` makes it misbehave on purpose; `tls` serves https.
    init(fault: ReceiverFault? = nil, tls: TLSConfiguration? = nil) async throws {
        scheme = tls == nil ? "http" : "https"
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-receiver-\(UUID().uuidString)").path
        store = try SubmitStore(directory: directory)
        let authenticator = RequestAuthenticator(
            endpointUUID: TestConfigDirectory.endpointUUID,
            secret: TestConfigDirectory.secret,
            settings: AuthSettings()
        )
        var logger = Logger(label: "test-receiver")
        logger.logLevel = .warning
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: buildReceiverRouter(store: store, authenticator: authenticator, fault: fault),
            server: try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        port = await iterator.next() ?? 0
    }

    var url: String { "\(scheme)://127.0.0.1:\(port)" }

    /// Waits until the receiver has a verdict for `trace` (its `finished` arrived).
    /// After `timeout`, what it has of `trace` so far (nil: nothing).
    func waitForFinished(_ trace: String, timeout: Double) async -> ReceivedTrace? {
        let finished = try? await eventuallyValue("a verdict for \(trace)", timeout: .seconds(timeout)) {
            await store.trace(trace).flatMap { $0.verdict == .receiving ? nil : $0 }
        }
        if let finished { return finished }
        return await store.trace(trace)
    }

    func stream(_ trace: String) async throws -> Data {
        guard let path = await store.streamPath(for: trace) else { throw MissingValue() }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    func stop() {
        task.cancel()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct MissingValue: Error {}
