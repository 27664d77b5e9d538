import EndpointStorage
import Foundation
import Logging
import NIOCore
import PlatformWire
import PrometheusMetrics
import Submitter
import Synchronization

/// Pull mode's results on their way to the platform, apart from polling: a platform
/// that will not take a result (404 for ever, a proxy without the route) never holds
/// tasks back. Before, `PullControl` retried a result inside its poll loop, and one 404
/// stopped pull mode for good.
///
/// The outbox is persisted: it is the task record's unsettled results
/// (`EndpointDatabase.pendingTaskResults`), so a restart sends them again, and it is
/// bounded by the record's bounds (`TaskRecordBounds`: a full record refuses new tasks).
/// Each result is sent until the platform acknowledges it (2xx), with its own backoff
/// (`RetryPolicy`, a `Retry-After` honoured), so one result backing off does not delay
/// the others. It is dropped — settled, logged, counted in
/// `lambda_task_results_dropped_total` — when the platform refuses it for good (400,
/// 413, 422) or answers 404 `notFoundLimit` times (persisted, so restarts do not reset
/// the count). When the platform cannot be reached at all, the whole outbox backs off.
///
/// Results the record does not keep (a refusal of a task: the record was full) wait in
/// memory, at most `maxUnrecorded`, until the platform answers them once.
final class ResultOutbox: Sendable {
    struct Settings: Sendable {
        var endpointUUID: String
        var retryPolicy: RetryPolicy
        var notFoundLimit: Int
    }

    /// Pending results looked at per round, oldest first (ids only; each result is read
    /// when it is sent: one may be 4 MiB).
    static let batch = 100
    /// Unrecorded results waiting at most; beyond, they are dropped (the platform
    /// redelivers a task it got no result for, and it is considered again).
    static let maxUnrecorded = 100

    let settings: Settings
    let client: PlatformClient
    let database: EndpointDatabase
    let metrics: EndpointMetrics
    let logger: Logger
    /// Rows taken before this without a result belong to an earlier life of the endpoint.
    let startedAt = Date()
    private let wake = ProgressSignal()
    private let unrecorded = Mutex<[(id: String, result: TaskResult)]>([])

    init(settings: Settings, client: PlatformClient, database: EndpointDatabase, metrics: EndpointMetrics, logger: Logger) {
        self.settings = settings
        self.client = client
        self.database = database
        self.metrics = metrics
        self.logger = logger
    }

    /// A result was recorded: it is sent next, whatever the others' backoff.
    func post() { wake.signal() }

    /// A result the record does not hold, sent until the platform answers it once.
    func sendUnrecorded(id: String, result: TaskResult) {
        let queued = unrecorded.withLock { queue in
            guard queue.count < Self.maxUnrecorded else { return false }
            queue.append((id, result))
            return true
        }
        if !queued {
            logger.warning("Dropped a task's result: too many unsent ones wait", metadata: ["task.id": "\(id)", "http.status": "\(result.status)"])
            metrics.taskResultDropped(.unsent)
        }
        wake.signal()
    }

    /// Sends until cancelled.
    func run() async {
        await settleTasksInDoubt()
        var schedule: [String: (attempt: Int, due: ContinuousClock.Instant)] = [:]
        var unreachable = 0
        while !Task.isCancelled {
            let seen = wake.generation
            var next: ContinuousClock.Instant?
            guard await sendUnrecorded(), await sendDue(&schedule, next: &next) else {
                unreachable += 1
                try? await Task.sleep(for: settings.retryPolicy.delay(attempt: unreachable, retryAfter: nil, random: Double.random(in: 0...1)))
                continue
            }
            unreachable = 0
            await withTaskCancellationHandler {
                await wake.wait(after: seen, timeout: next.map { max($0 - ContinuousClock.now, .zero) })
            } onCancel: {
                wake.signal()
            }
        }
    }

    /// Rows of an earlier life taken without a result get their 409, so the platform
    /// learns they are in doubt and they settle instead of filling the record.
    func settleTasksInDoubt() async {
        let endpoint = settings.endpointUUID
        do {
            let count = try await database.recordResultsInDoubt(takenBefore: startedAt) { id, takenAt in
                TaskResult.inDoubt(id: id, takenAt: takenAt, endpoint: endpoint)
            }
            if count > 0 {
                logger.warning("Tasks taken before the endpoint stopped are in doubt: answered 409", metadata: ["task.count": "\(count)"])
            }
        } catch {
            logger.error("Cannot record the tasks in doubt", metadata: ["error": "\(error)"])
        }
    }

    /// One attempt at each unrecorded result; false when the platform cannot be reached
    /// (those not answered wait for the next round).
    private func sendUnrecorded() async -> Bool {
        var waiting = unrecorded.withLock { queue in
            defer { queue = [] }
            return queue
        }
        while !waiting.isEmpty, !Task.isCancelled {
            let (id, result) = waiting[0]
            guard let answer = await send(id, result) else {
                let left = waiting
                let overflow = unrecorded.withLock { queue in
                    queue = left + queue
                    defer { queue = Array(queue.prefix(Self.maxUnrecorded)) }
                    return queue.count - min(queue.count, Self.maxUnrecorded)
                }
                for _ in 0..<overflow { metrics.taskResultDropped(.unsent) }
                return false
            }
            waiting.removeFirst()
            if case .acknowledged = answer.verdict { continue }
            logger.error("Dropped a task's result the platform did not take", metadata: ["task.id": "\(id)", "http.status": "\(answer.status)"])
            metrics.taskResultDropped(.unsent)
        }
        return true
    }

    /// Sends the recorded results that are due; false when the platform cannot be
    /// reached. `next`: when the earliest one backing off is due.
    private func sendDue(_ schedule: inout [String: (attempt: Int, due: ContinuousClock.Instant)], next: inout ContinuousClock.Instant?) async -> Bool
    {
        let pending: [PendingTaskResult]
        do {
            pending = try await database.pendingTaskResults(limit: Self.batch)
        } catch {
            logger.error("Cannot read the task results to send", metadata: ["error": "\(error)"])
            next = .now + .seconds(5)
            return true
        }
        let pendingIDs = Set(pending.map(\.id))
        schedule = schedule.filter { pendingIDs.contains($0.key) }
        let now = ContinuousClock.now
        var settledAny = false
        for row in pending where !Task.isCancelled {
            if let due = schedule[row.id]?.due, due > now {
                next = min(next ?? due, due)
                continue
            }
            guard let result = try? await database.taskResult(id: row.id) else { continue }
            guard let answer = await send(row.id, result) else { return false }
            switch answer.verdict {
            case .acknowledged:
                try? await database.recordTaskAcknowledged(id: row.id)
                settledAny = true
                continue
            case .permanent(let code):
                await drop(row.id, .refused, "Dropped a task's result the platform refused for good", ["http.status": "\(code)"])
                settledAny = true
                continue
            case .retry(let retryAfter):
                if answer.status == 404 {
                    let answers = (try? await database.recordTaskResultNotFound(id: row.id)) ?? row.notFoundAnswers + 1
                    if answers >= settings.notFoundLimit {
                        await drop(row.id, .notFound, "Dropped a task's result the platform keeps answering 404", ["task.404-answers": "\(answers)"])
                        settledAny = true
                        continue
                    }
                }
                let attempt = (schedule[row.id]?.attempt ?? 0) + 1
                let due = ContinuousClock.now + settings.retryPolicy.delay(attempt: attempt, retryAfter: retryAfter, random: Double.random(in: 0...1))
                schedule[row.id] = (attempt, due)
                next = min(next ?? due, due)
            }
        }
        if settledAny && pending.count == Self.batch { next = .now }
        return true
    }

    private func drop(_ id: String, _ reason: EndpointMetrics.TaskResultDrop, _ message: Logger.Message, _ metadata: Logger.Metadata) async {
        try? await database.recordTaskResultDropped(id: id, reason: reason.rawValue)
        logger.error(message, metadata: metadata.merging(["task.id": "\(id)"]) { $1 })
        metrics.taskResultDropped(reason)
    }

    /// `PUT /tasks/<id>/result` once: the platform's status and what it means, nil
    /// without an answer (connection refused, reset, timeout).
    private func send(_ id: String, _ result: TaskResult) async -> (status: Int, verdict: RetryPolicy.Verdict)? {
        // A TaskResult always encodes (a JSONValue body); never sent is the safe failure.
        guard let body = try? PullControl.encoder.encode(result) else { return (0, .permanent(status: 0)) }
        do {
            let answer = try await client.request(.PUT, "/tasks/\(id)/result", body: ByteBuffer(bytes: body), keepingBodyUpTo: 64 * 1024)
            return (answer.status, RetryPolicy.classify(status: answer.status, retryAfter: answer.retryAfter))
        } catch {
            return nil
        }
    }
}
