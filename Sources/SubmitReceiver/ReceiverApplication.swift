import Authentication
import Foundation
import Hummingbird
import Logging
import PlatformServer
import PlatformWire

/// A hook to make the receiver misbehave on purpose (tests of the endpoint's delivery):
/// called for each authenticated, parsed message before it is stored; a status it
/// returns is answered instead and the message is not stored. It may also sleep.
public typealias ReceiverFault = @Sendable (SubmitMessage) async -> HTTPResponse.Status?

/// The stand-in platform's side of `/submit` for one endpoint: `PUT /submit`
/// (authenticated like the endpoint's own routes) and `GET /status`, the verdict of
/// every trace seen. `buildPlatformRouter` is the same plus registrations and task queues.
public func buildReceiverRouter(store: SubmitStore, authenticator: RequestAuthenticator, fault: ReceiverFault? = nil) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    addSubmitRoutes(to: router, store: store, verifier: authenticator, fault: fault)
    return router
}

/// `PUT /submit`, `POST /events` and `GET /status`; a trace (an event) is stored under
/// the endpoint its Authorization proved.
func addSubmitRoutes(to router: Router<BasicRequestContext>, store: SubmitStore, verifier: some EndpointVerifying, fault: ReceiverFault?) {
    addEventRoute(to: router, events: store.events, verifier: verifier)
    router.put("submit") { request, context -> HTTPResponse.Status in
        var request = request
        // A chunk is at most 16 MiB raw, about 22 MiB of base64.
        let endpoint = try await verifier.requireEndpoint(&request, bodyLimit: 32 << 20)
        let body = try await request.body.collect(upTo: 32 << 20)
        let message = try SubmitMessage.parsed(body)
        if let fault, let status = await fault(message) {
            return status
        }
        do {
            let trace = try await store.receive(message, from: endpoint)
            if case .finished = message {
                context.logger.info(
                    "Trace received",
                    metadata: [
                        "trace.path": "\(trace.trace)", "trace.verdict": "\(trace.verdict.rawValue)", "trace.bytes": "\(trace.bytes)",
                        "endpoint.uuid": "\(endpoint)",
                    ]
                )
            }
        } catch let rejection as SubmitStore.Rejection {
            throw PlatformRefusal(.badRequest, "\(rejection)")
        }
        return .ok
    }
    router.get("status") { _, _ -> Response in
        try PlatformJSON.response(await store.traces())
    }
}
