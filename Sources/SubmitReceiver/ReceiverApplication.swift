import EndpointCore
import Foundation
import Hummingbird
import Logging

/// A hook to make the receiver misbehave on purpose (tests of the endpoint's delivery):
/// called for each authenticated, parsed message before it is stored; a status it
/// returns is answered instead and the message is not stored. It may also sleep.
public typealias ReceiverFault = @Sendable (SubmitStore.Message) async -> HTTPResponse.Status?

/// The reference platform side of `/submit`: `PUT /submit` (authenticated like the
/// endpoint's own routes) and `GET /status`, the verdict of every trace seen.
public func buildReceiverRouter(store: SubmitStore, authenticator: RequestAuthenticator, fault: ReceiverFault? = nil) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.put("submit") { request, context -> HTTPResponse.Status in
        let headerValue = request.headers[.authorization]
        if !authenticator.isRemembered(headerValue) {
            guard case .accepted = await authenticator.authenticate(headerValue) else {
                throw HTTPError(.unauthorized, message: "bad Authorization")
            }
        }
        // A chunk is at most 16 MiB raw, about 22 MiB of base64.
        let body = try await request.body.collect(upTo: 32 << 20)
        let message: SubmitStore.Message
        do {
            message = try SubmitMessageParser.parse(body)
        } catch SubmitMessageParser.Failure.badBase64(let no) {
            throw HTTPError(.badRequest, message: "chunk \(no): field is not base64")
        } catch {
            throw HTTPError(.badRequest, message: "not a submit message")
        }
        if let fault, let status = await fault(message) {
            return status
        }
        do {
            let trace = try await store.receive(message)
            if case .finished = message {
                context.logger.info(
                    "Trace received",
                    metadata: ["trace.path": "\(trace.trace)", "trace.verdict": "\(trace.verdict.rawValue)", "trace.bytes": "\(trace.bytes)"]
                )
            }
        } catch let rejection as SubmitStore.Rejection {
            throw HTTPError(.badRequest, message: "\(rejection)")
        }
        return .ok
    }
    router.get("status") { _, _ -> Response in
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(await store.traces())
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
    return router
}
