import Authentication
import Foundation
import HTTPTypes
import Hummingbird
import PlatformStore
import PlatformWire

/// The routes endpoints call: `PUT /submit`, `PUT /endpoints/{uuid}`, `GET /tasks`,
/// `PUT /tasks/{id}/result`. Each is authenticated (Authorization: uuid + argon2 of that
/// endpoint's secret) and signed (Lambda-Signature, required), and answered 2xx only once
/// what it carried is committed.
struct EndpointRoutes {
    let platform: Platform

    func add(to router: Router<PlatformContext>) {
        router.put("submit", use: submit)
        router.put("endpoints/:uuid", use: register)
        router.get("tasks", use: poll)
        router.put("tasks/:id/result", use: result)
        router.post("events", use: EventRoutes(platform: platform).post)
    }

    /// A chunk is at most 16 MiB raw, about 22 MiB of base64.
    static let submitBodyLimit = 32 << 20

    @Sendable func submit(_ request: Request, context: PlatformContext) async throws -> Response {
        var request = request
        let endpoint = try await platform.requireEndpoint(&request, bodyLimit: Self.submitBodyLimit)
        let body = try await request.body.collect(upTo: Self.submitBodyLimit)
        let message = try SubmitMessage.parsed(body)
        let receipt: RunStore.Receipt
        do {
            receipt = try await platform.runs.receive(message, from: endpoint)
        } catch let refusal as RunStore.Refusal {
            switch refusal {
            case .conflict: throw PlatformRefusal(.conflict, refusal.description)
            // Retried by the endpoint (a 5xx): room comes as runs finish and retention runs.
            case .tooManyRuns: throw PlatformRefusal(.serviceUnavailable, refusal.description)
            default: throw PlatformRefusal(.badRequest, refusal.description)
            }
        }
        if receipt.changed { await platform.announce(.streamGrew, receipt.run.id) }
        // This chunk, and those held ahead of it, became contiguous: their lines go to OTLP.
        if case .chunk(_, let no, _) = message, receipt.changed, Int64(no) < receipt.run.chunks {
            platform.logExport?.streamAdvanced(run: receipt.run.id, endpoint: endpoint, from: Int64(no), to: receipt.run.chunks)
        }
        platform.metrics.received(message.metricKind, bytes: message.chunkBytes)
        try await platform.heard(from: endpoint)
        if case .finished = message, receipt.changed {
            context.logger.info(
                "Run received",
                metadata: [
                    "run.id": "\(receipt.run.id)", "run.file": "\(receipt.run.filePath)", "run.bytes": "\(receipt.run.bytes)",
                    "run.complete": "\(receipt.run.complete)", "endpoint.uuid": "\(endpoint)",
                ]
            )
        }
        return Response(status: .ok)
    }

    @Sendable func register(_ request: Request, context: PlatformContext) async throws -> Response {
        var request = request
        let uuid = try context.parameters.require("uuid").lowercased()
        let sender = try await platform.requireEndpoint(&request, bodyLimit: 1 << 20)
        guard sender == uuid else { throw PlatformRefusal(.unauthorized, "Authorization is endpoint \(sender)'s, not \(uuid)'s") }
        let registration = try await PlatformJSON.decode(ReceivedRegistration.self, from: request)
        guard registration.uuid.lowercased() == uuid else {
            throw PlatformRefusal(.badRequest, "uuid: \(registration.uuid) is not the path's \(uuid)")
        }
        try registration.check()
        do {
            try await platform.endpoints.register(
                uuid: uuid,
                hostname: registration.hostname,
                labels: registration.labels,
                control: registration.control.rawValue,
                version: registration.version,
                analyses: registration.analyses,
                declaredLabels: platform.declaresLabels(of: uuid)
            )
        } catch let refusal as EndpointStore.TooManyEndpoints {
            throw PlatformRefusal(.serviceUnavailable, refusal.description)
        }
        platform.metrics.received(.registration)
        return try PlatformJSON.response(["uuid": uuid])
    }

    @Sendable func poll(_ request: Request, context: PlatformContext) async throws -> Response {
        var request = request
        let sender = try await platform.requireEndpoint(&request, bodyLimit: 1 << 10)
        let poll = try PollRequest(request, sender: sender, waitCap: platform.settings.maxPollWait)
        let endpoint = poll.endpoint
        try await platform.heard(from: endpoint)
        let deadline = ContinuousClock.now + .milliseconds(Int64(poll.wait * 1000))
        var tasks = try await platform.tasks.take(for: endpoint)
        platform.metrics.received(.poll)
        platform.metrics.pollHeld()
        defer { platform.metrics.pollAnswered() }
        while tasks.isEmpty, ContinuousClock.now < deadline, !Task.isCancelled {
            await platform.taskArrivals.wait(for: endpoint, timeout: deadline - ContinuousClock.now)
            tasks = try await platform.tasks.take(for: endpoint)
        }
        guard !tasks.isEmpty else { return Response(status: .noContent) }
        let body = try PlatformJSON.encoded(tasks)
        let headers = await platform.signer.pollAnswerHeaders(for: endpoint, poll: request, body: body)
        return PlatformJSON.response(bytes: body, headers: headers)
    }

    @Sendable func result(_ request: Request, context: PlatformContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard PlatformTask.isValidID(id) else { throw PlatformRefusal(.badRequest, "id: 1-128 of [A-Za-z0-9._:-]") }
        var request = request
        let sender = try await platform.requireEndpoint(&request, bodyLimit: 16 << 20)
        let result = try await PlatformJSON.decode(TaskResult.self, from: request, upTo: 16 << 20)
        guard result.endpoint.lowercased() == sender else {
            throw PlatformRefusal(.unauthorized, "Authorization is endpoint \(sender)'s, not \(result.endpoint)'s")
        }
        do {
            let (record, changed) = try await platform.tasks.record(result, for: id, from: sender)
            if changed { await platform.taskResults.resultArrived(record, platform: platform) }
            platform.metrics.received(.result)
        } catch let refusal as TaskStore.Refusal {
            switch refusal {
            case .unknownTask: throw PlatformRefusal(.notFound, refusal.description)
            case .notYours: throw PlatformRefusal(.forbidden, refusal.description)
            default: throw PlatformRefusal(.conflict, refusal.description)
            }
        }
        return try PlatformJSON.response(["id": id])
    }
}

/// A registration as the platform reads it (the endpoint's `Registration`, decoded).
struct ReceivedRegistration: Decodable {
    let uuid: String
    let hostname: String
    let labels: [String: String]
    let version: String
    let control: ControlMode
    let analyses: [String]

    func check() throws {
        guard hostname.utf8.count <= 255 else { throw PlatformRefusal(.badRequest, "hostname: at most 255 bytes") }
        guard version.utf8.count <= 64 else { throw PlatformRefusal(.badRequest, "version: at most 64 bytes") }
        guard labels.count <= 64, labels.allSatisfy({ $0.key.utf8.count <= 63 && $0.value.utf8.count <= 255 }) else {
            throw PlatformRefusal(.badRequest, "labels: at most 64, names up to 63 bytes, values up to 255")
        }
        guard analyses.count <= 256, analyses.allSatisfy({ $0.utf8.count <= 64 }) else {
            throw PlatformRefusal(.badRequest, "analyses: at most 256 names of up to 64 bytes")
        }
    }
}
