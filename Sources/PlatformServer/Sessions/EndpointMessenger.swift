import Foundation
import PlatformStore
import PlatformWire

/// Sends a request to an endpoint the way it can be reached: a push endpoint (one with a
/// `url`) by a signed call, any other as a signed task on its queue, which its next poll
/// takes (docs/platform.md, *Sessions*).
struct EndpointMessenger: Sendable {
    let platform: Platform
    let push: any PushEndpointCalling

    /// The endpoints whose labels `selector` matches now, by uuid.
    func endpoints(matching selector: LabelSelector) async throws -> [EndpointRecord] {
        try await platform.endpoints.all().filter { endpoint in
            selector.matches((try? JSONDecoder().decode([String: String].self, from: Data(endpoint.labels.utf8))) ?? [:])
        }
    }

    /// A push endpoint's answer; nil for a pull endpoint once the task is committed (its
    /// answer comes through `platform.taskResults`). A task refused by the queue's bounds
    /// is an answer without status saying so.
    func send(_ request: EndpointRequest, id: String, to endpoint: EndpointRecord, session: String?) async -> EndpointAnswer? {
        if let url = endpoint.url { return await call(request, url: url, endpoint: endpoint.uuid) }
        do {
            let task = PlatformTask(id: id, method: request.method, path: request.path, body: request.body)
            try await platform.tasks.enqueue(task, for: endpoint.uuid, session: session)
            await platform.announce(.taskQueued, endpoint.uuid)
            return nil
        } catch let refusal as TaskStore.Refusal {
            return EndpointAnswer(status: nil, body: .string("not queued: \(refusal.description)"))
        } catch {
            return EndpointAnswer(status: nil, body: .string("not queued: the database refused (\(error))"))
        }
    }

    /// Sends and waits for the answer up to `timeout`, for a pull endpoint too (woken by
    /// `taskResults.answers`).
    func ask(_ request: EndpointRequest, id: String, to endpoint: EndpointRecord, timeout: Duration) async -> EndpointAnswer {
        let deadline = ContinuousClock.now + timeout
        guard endpoint.url == nil else {
            return await withTaskGroup(of: EndpointAnswer?.self) { group in
                group.addTask { await send(request, id: id, to: endpoint, session: nil) }
                group.addTask {
                    try? await Task.sleep(until: deadline)
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first ?? EndpointAnswer(status: nil, body: .string("no answer within \(timeout.seconds) s"))
            }
        }
        if let refused = await send(request, id: id, to: endpoint, session: nil) { return refused }
        while ContinuousClock.now < deadline, !Task.isCancelled {
            if let record = try? await platform.tasks.task(id), let status = record.resultStatus {
                let body = record.resultBody.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
                return EndpointAnswer(status: Int(status), body: body)
            }
            // At most a second between looks: a result committed between the look and
            // the wait (a signal nobody heard yet) is then read late, not missed.
            await platform.taskResults.answers.wait(for: id, timeout: min(.seconds(1), deadline - ContinuousClock.now))
        }
        return EndpointAnswer(status: nil, body: .string("no answer within \(timeout.seconds) s (the endpoint has not polled for it)"))
    }

    /// A signed call to a push endpoint.
    func call(_ request: EndpointRequest, url: String, endpoint uuid: String) async -> EndpointAnswer {
        guard let authorization = await platform.signer.header(for: uuid), let signer = platform.signer.messageSigner(for: uuid) else {
            return EndpointAnswer(status: nil, body: .string("the platform has no secret for endpoint \(uuid) (platform.yml endpoints)"))
        }
        let answer = await push.call(
            baseURL: url,
            method: request.method,
            path: request.path,
            body: request.body,
            credentials: PushCredentials(authorization: authorization, signer: signer)
        )
        return EndpointAnswer(status: answer.status, body: answer.body)
    }

    /// A task id of 1-128 of `[A-Za-z0-9._:-]`: `parts` joined by dots.
    static func taskID(_ parts: String...) -> String { parts.joined(separator: ".") }

    /// 16 random hexadecimal digits: session ids and the unique part of one-off task ids.
    static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

extension Duration {
    /// Whole seconds, for messages.
    var seconds: Int64 { components.seconds }
}
