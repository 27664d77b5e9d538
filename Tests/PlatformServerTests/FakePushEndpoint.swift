import EndpointTestSupport
import Hummingbird
import Synchronization

/// A fake push endpoint: only `GET /heartbeat`, answering 200 (503 once told to stop
/// answering) and noting the `Authorization` and `Lambda-Signature` each call carried. A fake because a real
/// `lambda-endpoint serve` in push mode needs this test target to spawn the endpoint's
/// binary and its config; the heartbeat is all the platform asks of it here.
final class FakePushEndpoint: Sendable {
    typealias Call = (authorization: String?, signature: String?)

    private final class Calls: Sendable {
        let list = Mutex<[Call]>([])
        let answering = Atomic<Bool>(true)
    }

    private let server: LoopbackServer
    private let calls = Calls()
    var url: String { "http://127.0.0.1:\(server.port)" }

    init() async {
        let router = Router()
        let calls = calls
        router.get("heartbeat") { request, _ -> HTTPResponse.Status in
            let signature = request.headers.first { $0.name.canonicalName == "lambda-signature" }?.value
            calls.list.withLock { $0.append((request.headers[.authorization], signature)) }
            return calls.answering.load(ordering: .relaxed) ? .ok : .serviceUnavailable
        }
        server = await LoopbackServer(router: router, label: "fake-push-endpoint")
    }

    /// The headers of each heartbeat call received so far.
    var received: [Call] { calls.list.withLock { $0 } }

    /// From now on, heartbeats are answered 503 (a stopping endpoint). The server itself
    /// keeps listening: a connection arriving while a Hummingbird server shuts down can
    /// trap in NIOAsyncWriter's deinit ("Deinited NIOAsyncWriter without calling finish()").
    func stopAnswering() { calls.answering.store(false, ordering: .relaxed) }

    func stop() { server.stop() }
}
