import Hummingbird
import HummingbirdCore
import Logging

/// A Hummingbird application of this test process on a free port of 127.0.0.1: real HTTP
/// for the reference receiver and platform the tests run, and for the fakes whose routes a
/// test writes itself. `stop` cancels it.
public struct LoopbackServer: Sendable {
    public let port: Int
    private let task: Task<Void, any Error>

    /// Returns once the server listens. `server`: `.http1()`, or HummingbirdTLS's
    /// `.tls(...)` for https; `logLevel`: what of the server's own log reaches the test output.
    public init<Router: HTTPResponderBuilder>(
        router: Router,
        server: HTTPServerBuilder = .http1(),
        label: String,
        logLevel: Logger.Level = .critical
    ) async where Router.Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        port = await iterator.next() ?? 0
    }

    public func stop() { task.cancel() }
}
