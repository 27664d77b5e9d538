import Foundation
import Logging
import PlatformStore
import PlatformWire
import TraceModel

/// Runs sessions over the fleet (docs/platform.md, *Sessions*). `{"run": true}` begins a
/// round on every endpoint matching the selector at that moment and sends each its
/// first step; each answer (a task result, or a push call's answer) advances that
/// endpoint's row to its next step, to `running` with the run it started, or to
/// `failed`. Nothing polls: a row waits on one request id, an answer for another id is
/// late (a stop or a new round came since) and only cleans up after itself: a run it
/// started is killed, a template stored for a deleted session removed.
final class SessionDriver: Sendable {
    let platform: Platform
    let store: SessionStore
    let messenger: EndpointMessenger

    init(platform: Platform, push: any PushEndpointCalling) {
        self.platform = platform
        store = SessionStore(database: platform.database, maxSessions: platform.settings.maxSessions)
        messenger = EndpointMessenger(platform: platform, push: push)
        platform.taskResults.add { [weak self] record in await self?.taskAnswered(record) }
    }

    /// `{"run": true}`: begins a round unless one goes on; false when nothing changed.
    func run(_ session: SessionRecord) async throws -> Bool {
        let spec = try Self.spec(of: session)
        let selector = try LabelSelector(parsing: session.selector)
        let matching = try await messenger.endpoints(matching: selector)
        let first = SessionStep.first(of: spec)
        let now = Clock.milliseconds()
        let start = try await store.beginRound(of: session.id) { round in
            matching.map { endpoint in
                SessionEndpointRecord(
                    session: session.id,
                    endpoint: endpoint.uuid,
                    round: round,
                    state: .queued,
                    task: Self.stepID(session.id, round, first, endpoint.uuid),
                    updated: now
                )
            }
        }
        guard case .began(let round, _) = start else { return false }
        for endpoint in matching {
            await send(first, traceNo: nil, session: session.id, spec: spec, round: round, to: endpoint)
        }
        return true
    }

    /// `{"run": false}`: the round's rows not yet ended are killed, their runs stopped.
    func stop(_ session: String) async throws -> Bool {
        guard let running = try await store.stop(session) else { return false }
        for row in running {
            guard let runID = row.run, let run = try await platform.runs.run(runID) else { continue }
            await kill(filePath: run.filePath, session: session, endpoint: row.endpoint)
        }
        return true
    }

    /// Stops `session`, forgets it, and removes the templates it stored.
    func delete(_ session: String) async throws -> Bool {
        guard try await stop(session), let templates = try await store.delete(session) else { return false }
        for template in templates {
            let tracers = (try? JSONDecoder().decode([String].self, from: Data(template.traceTypes.utf8))) ?? []
            for tracer in tracers {
                await dispatch(.remove(traceNo: template.traceNo, tracer: tracer), kind: "remove", session: session, endpoint: template.endpoint)
            }
        }
        return true
    }

    // MARK: Steps and answers

    static func stepID(_ session: String, _ round: Int64, _ step: SessionStep, _ endpoint: String) -> String {
        EndpointMessenger.taskID(session, "\(round)", step.rawValue, endpoint)
    }

    static func spec(of session: SessionRecord) throws -> SessionSpec {
        try JSONDecoder().decode(SessionSpec.self, from: Data(session.spec.utf8))
    }

    /// Sends `step`: a pull endpoint's task is committed when this returns (a refusal
    /// of the queue fails the row); a push endpoint's call goes on off the caller, its
    /// answer handled when it comes.
    private func send(_ step: SessionStep, traceNo: Int64?, session: String, spec: SessionSpec, round: Int64, to endpoint: EndpointRecord) async {
        let id = Self.stepID(session, round, step, endpoint.uuid)
        let request = step.request(spec, traceNo: traceNo)
        guard endpoint.url != nil else {
            if let refused = await messenger.send(request, id: id, to: endpoint, session: session) {
                await answered(step, id: id, answer: refused, session: session, endpoint: endpoint.uuid)
            }
            return
        }
        Task {
            guard let answer = await messenger.send(request, id: id, to: endpoint, session: session) else { return }
            await answered(step, id: id, answer: answer, session: session, endpoint: endpoint.uuid)
        }
    }

    private func taskAnswered(_ record: TaskRecord) async {
        guard let session = record.session, let task = try? JSONDecoder().decode(PlatformTask.self, from: Data(record.task.utf8)),
            let step = SessionStep(path: task.path), let status = record.resultStatus
        else { return }
        let body = record.resultBody.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
        await answered(step, id: record.id, answer: EndpointAnswer(status: Int(status), body: body), session: session, endpoint: record.endpoint)
    }

    private func answered(_ step: SessionStep, id: String, answer: EndpointAnswer, session: String, endpoint: String) async {
        do {
            try await advance(step, id: id, answer: answer, session: session, endpoint: endpoint)
        } catch {
            platform.logger.error(
                "A session's step could not be recorded",
                metadata: ["session.id": "\(session)", "endpoint.uuid": "\(endpoint)", "error": "\(error)"]
            )
        }
    }

    private func advance(_ step: SessionStep, id: String, answer: EndpointAnswer, session: String, endpoint: String) async throws {
        guard let record = try await store.session(session), let spec = try? Self.spec(of: record) else {
            // The session is gone: what its late answer made on the endpoint goes too.
            switch step.outcome(answer, spec: Self.placeholder) {
            case .started(let filePath):
                await kill(filePath: filePath, session: session, endpoint: endpoint)
            case .next(_, _, let storedTraceNo?):
                // Its tracer types are the deleted spec's: ask for each, absent ones are 404.
                for tracer in TracerType.allCases {
                    await dispatch(.remove(traceNo: storedTraceNo, tracer: tracer.rawValue), kind: "remove", session: session, endpoint: endpoint)
                }
            default: break
            }
            return
        }
        let status = answer.status.map(Int64.init)
        switch step.outcome(answer, spec: spec) {
        case let .next(next, traceNo, storedTraceNo):
            if let storedTraceNo {
                try await store.recordTemplate(
                    session: session,
                    endpoint: endpoint,
                    traceNo: storedTraceNo,
                    traceTypes: spec.template?.traceType ?? []
                )
            }
            let nextID = Self.stepID(session, record.round, next, endpoint)
            let row = try await store.update(session: session, endpoint: endpoint, waitingOn: id) { row in
                row.state = .starting
                row.status = status
                row.task = nextID
            }
            guard row != nil, let target = try await platform.endpoints.endpoint(endpoint) else { return }
            await send(next, traceNo: traceNo, session: session, spec: spec, round: record.round, to: target)
        case .started(let filePath):
            let run = try await platform.runs.claim(endpoint: endpoint, filePath: filePath, session: session, analysis: spec.analysis?.name)
            let row = try await store.update(session: session, endpoint: endpoint, waitingOn: id) { row in
                row.state = .running
                row.run = run.id
                row.status = status
                row.error = nil
                row.task = nil
            }
            if row == nil { await kill(filePath: filePath, session: session, endpoint: endpoint) }
        case .failed(let answer):
            _ = try await store.update(session: session, endpoint: endpoint, waitingOn: id) { row in
                row.state = .failed
                row.status = status
                row.error = answer.errorText
                row.task = nil
            }
        }
    }

    /// A start's answer is read the same whatever the session was: the placeholder
    /// spec of a session that is gone.
    private static let placeholder = SessionSpec(template: nil, analysis: nil, traceT: "BPF", target: nil, lasting: 1, context: "")

    private func kill(filePath: String, session: String, endpoint: String) async {
        await dispatch(.kill(filePath), kind: "kill", session: session, endpoint: endpoint)
    }

    /// Sends a request whose answer changes nothing here (a kill, a removal): a task is
    /// committed when this returns; a call goes on off the caller (an unreachable push
    /// endpoint must not hold a stop for its 30 s).
    private func dispatch(_ request: EndpointRequest, kind: String, session: String, endpoint uuid: String) async {
        guard let endpoint = try? await platform.endpoints.endpoint(uuid) else { return }
        let id = EndpointMessenger.taskID(session, kind, EndpointMessenger.randomID(), uuid)
        let messenger = messenger
        let logger = platform.logger
        let delivery = Task {
            if let answer = await messenger.send(request, id: id, to: endpoint, session: session), answer.status != 200 {
                logger.warning(
                    "An endpoint did not take a session's \(kind)",
                    metadata: ["session.id": "\(session)", "endpoint.uuid": "\(uuid)", "answer": "\(answer.errorText)"]
                )
            }
        }
        if endpoint.url == nil { await delivery.value }
    }
}
