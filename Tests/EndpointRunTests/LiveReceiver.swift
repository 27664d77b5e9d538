import Authentication
import Credentials
import EndpointTestSupport
import Foundation
import Hummingbird
import HummingbirdTLS
import PlatformWire
import SubmitReceiver

/// The reference receiver, in this test process, on a free loopback port.
final class LiveReceiver: Sendable {
    let store: SubmitStore
    let directory: String
    private let server: LoopbackServer

    let scheme: String

    /// A receiver on a free port; `fault` makes it misbehave on purpose; `tls` serves https.
    init(fault: ReceiverFault? = nil, tls: TLSConfiguration? = nil) async throws {
        scheme = tls == nil ? "http" : "https"
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-test-receiver-\(UUID().uuidString)").path
        store = try SubmitStore(directory: directory)
        let authenticator = RequestAuthenticator(
            endpointUUID: TestConfigDirectory.endpointUUID,
            secret: TestConfigDirectory.secret,
            settings: AuthSettings()
        )
        server = await LoopbackServer(
            router: buildReceiverRouter(store: store, authenticator: authenticator, fault: fault),
            server: try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            label: "test-receiver",
            logLevel: .warning
        )
    }

    var port: Int { server.port }

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

    /// The events `/events` received about `run`, oldest first, once its `run-finished`
    /// is among them (the run's events come before it).
    func runEvents(_ run: String, timeout: Double = 20) async throws -> [EndpointEvent] {
        try await eventuallyValue("the run-finished event of \(run)", timeout: .seconds(timeout)) {
            let events = await store.events.events().filter { $0.run == run }
            return events.contains { $0.kind == EndpointEvent.Kind.runFinished.rawValue } ? events : nil
        }
    }

    func stop() {
        server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct MissingValue: Error {}
