import Authentication
import Foundation
import HTTPTypes
import Hummingbird
import PlatformServer
import PlatformWire

/// The stand-in platform's routes (`StandInPlatform`): what the endpoint's tests need
/// of a platform, with its hostile behaviours on purpose.
///
/// From endpoints (Authorization verified against the secret of the uuid it names):
/// `PUT /submit`, `PUT /endpoints/{uuid}`, `GET /tasks`, `PUT /tasks/{id}/result`.
/// For operators and tests, without Authorization (the receiver listens on loopback by
/// default): `GET /status`, `GET /endpoints`, `POST /tasks`, `GET /tasks/{id}/result`.
public func buildPlatformRouter(platform: StandInPlatform, fault: ReceiverFault? = nil) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    addSubmitRoutes(to: router, store: platform.store, verifier: platform.authenticator, fault: fault)

    router.put("endpoints/:uuid") { request, context -> Response in
        var request = request
        let uuid = try context.parameters.require("uuid").lowercased()
        let sender = try await platform.requireEndpoint(&request)
        guard sender == uuid else { throw PlatformRefusal(.unauthorized, "Authorization is endpoint \(sender)'s, not \(uuid)'s") }
        let registration = try await PlatformJSON.decode(EndpointRegistration.self, from: request)
        guard registration.uuid.lowercased() == uuid else {
            throw PlatformRefusal(.badRequest, "uuid: \(registration.uuid) is not the path's \(uuid)")
        }
        await platform.registry.register(registration)
        return try PlatformJSON.response(["uuid": uuid])
    }

    router.get("endpoints") { _, _ -> Response in
        try PlatformJSON.response(await platform.registry.list())
    }

    router.get("tasks") { request, _ -> Response in
        var request = request
        let sender = try await platform.requireEndpoint(&request)
        let poll = try PollRequest(request, sender: sender, waitCap: platform.pollWaitCap)
        let endpoint = poll.endpoint
        await platform.registry.seen(endpoint)
        let tasks = await platform.queues.poll(endpoint, wait: .milliseconds(Int64(poll.wait * 1000)))
        guard !tasks.isEmpty else { return Response(status: .noContent) }
        let body = try PlatformJSON.encoded(tasks)
        // Unsigned on purpose in `unsignedTasks` mode: the endpoint must ignore such answers.
        let headers = platform.unsignedTasks ? [:] : await platform.signer.pollAnswerHeaders(for: endpoint, poll: request, body: body)
        return PlatformJSON.response(bytes: body, headers: headers)
    }

    router.put("tasks/:id/result") { request, context -> Response in
        let id = try context.parameters.require("id")
        guard PlatformTask.isValidID(id) else { throw PlatformRefusal(.badRequest, "id: 1-128 of [A-Za-z0-9._:-]") }
        var request = request
        let sender = try await platform.requireEndpoint(&request, bodyLimit: 16 << 20)
        let result = try await PlatformJSON.decode(TaskResult.self, from: request, upTo: 16 << 20)
        guard result.endpoint.lowercased() == sender else {
            throw PlatformRefusal(.unauthorized, "Authorization is endpoint \(sender)'s, not \(result.endpoint)'s")
        }
        if let fault = platform.resultFault, let status = await fault(id, result) {
            return Response(status: status)
        }
        await platform.queues.record(result, for: id)
        return try PlatformJSON.response(["id": id])
    }

    router.post("tasks") { request, _ -> Response in
        struct Enqueue: Decodable {
            let endpoint: String
            let task: PlatformTask
        }
        let enqueue = try await PlatformJSON.decode(Enqueue.self, from: request)
        guard UUID(uuidString: enqueue.endpoint) != nil else { throw PlatformRefusal(.badRequest, "endpoint: not a uuid") }
        guard PlatformTask.isValidID(enqueue.task.id) else { throw PlatformRefusal(.badRequest, "task.id: 1-128 of [A-Za-z0-9._:-]") }
        await platform.queues.enqueue(enqueue.task, for: enqueue.endpoint)
        return try PlatformJSON.response(["id": enqueue.task.id])
    }

    router.get("tasks/:id/result") { _, context -> Response in
        let id = try context.parameters.require("id")
        guard let result = await platform.queues.result(id) else { throw PlatformRefusal(.notFound, "no result for task \(id)") }
        return try PlatformJSON.response(result)
    }

    return router
}
