import Authentication
import EndpointTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PlatformWire

/// A platform that answers polls the way an attacker who saw the traffic could, for the
/// tests of signed poll answers (a fake: no real platform misbehaves on demand). It takes
/// registrations, `/submit` and results, records results, and answers every poll with one
/// task, signed or not per `mode`.
final class HostilePlatformFake: Sendable {
    enum Mode: Sendable {
        /// Signed as the answer to that very poll: what a real platform does (the control).
        case signedForThisPoll
        /// The poll's own `Authorization` and `Lambda-Signature` sent back: what anyone who
        /// captured one poll has.
        case copiesPollHeaders
        /// The first answer signed for its poll; every later poll gets those same bytes and
        /// headers again: a captured answer replayed.
        case replaysFirstAnswer
        /// Neither header.
        case unsigned
    }

    private let server: LoopbackServer
    private let state: Locked<State>

    private struct State {
        var polls = 0
        var results: [String] = []
        var captured: (body: Data, headers: HTTPFields)?
    }

    init(mode: Mode, identity: PullEndpoints.Identity, task makeTask: @escaping @Sendable (Int) -> PlatformTask) async throws {
        let state = Locked(State())
        self.state = state
        let signer = MessageSigner(uuid: identity.uuid, secret: identity.secret)
        let router = Router()
        router.put("endpoints/:uuid") { _, _ in Response(status: .ok) }
        router.put("submit") { _, _ in Response(status: .ok) }
        router.put("tasks/:id/result") { _, context in
            let id = try context.parameters.require("id")
            state.withLock { $0.results.append(id) }
            return Response(status: .ok)
        }
        router.get("tasks") { request, _ in
            let number = state.withLock { state -> Int in
                state.polls += 1
                return state.polls
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            var body = try encoder.encode([makeTask(number)])
            var headers: HTTPFields = [.contentType: "application/json"]
            switch mode {
            case .unsigned:
                break
            case .copiesPollHeaders:
                headers[.authorization] = request.headers[.authorization]
                headers[HTTPField.Name(LambdaSignature.headerName)!] = request.headers[HTTPField.Name(LambdaSignature.headerName)!]
            case .signedForThisPoll, .replaysFirstAnswer:
                if mode == .replaysFirstAnswer, let captured = state.withLock({ $0.captured }) {
                    body = captured.body
                    headers = captured.headers
                    break
                }
                let nonce = request.uri.queryParameters.get("nonce") ?? ""
                let signature = signer.sign(.answer, method: "GET", pathAndQuery: request.head.path ?? "/", body: body, nonce: nonce)
                headers[HTTPField.Name(LambdaSignature.headerName)!] = signature.headerValue
                let captured = (body, headers)
                state.withLock { $0.captured = captured }
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        server = await LoopbackServer(router: router, label: "hostile-platform-fake")
    }

    var url: String { "http://127.0.0.1:\(server.port)" }
    var polls: Int { state.withLock { $0.polls } }
    /// Task ids whose result arrived, once per arrival.
    var results: [String] { state.withLock { $0.results } }

    func stop() { server.stop() }
}
