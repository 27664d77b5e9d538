import Foundation
import PlatformWire

/// A queue of tasks per endpoint, answered by long polls, and the results sent back.
///
/// A poll takes every task queued for its endpoint. One that finds none waits: the first
/// task queued for the endpoint meanwhile resumes it at once; otherwise it is answered
/// empty when its `wait` ends. Nothing is persisted (the stand-in platform).
///
/// An endpoint polls one at a time, so a new poll answers the one still waiting empty
/// at once: that one is most likely a connection its endpoint gave up (a restart, a
/// timeout), and a task handed to it would be written to nobody.
///
/// A task handed out whose result has not come after `redeliverAfter` is queued again
/// for its endpoint's next poll: it may have gone to a connection nobody read (an
/// endpoint killed while its poll waited). The endpoint runs each id at most once and
/// answers a repeat from its record, so a redelivery never runs a task twice.
public actor TaskQueues {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<[PlatformTask], Never>
    }

    private var queued: [String: [PlatformTask]] = [:]
    private var waiters: [String: [Waiter]] = [:]
    private var nextWaiter: UInt64 = 0
    private var results: [String: TaskResult] = [:]
    /// Per endpoint, the tasks answered to a poll and still without a result.
    private var handedOut: [String: [(task: PlatformTask, at: ContinuousClock.Instant)]] = [:]
    public let redeliverAfter: Duration

    /// `redeliverAfter`: 60 s, beyond the longest poll (26 s) and a route's answer.
    public init(redeliverAfter: Duration = .seconds(60)) {
        self.redeliverAfter = redeliverAfter
    }

    public func enqueue(_ task: PlatformTask, for endpoint: String) {
        let endpoint = endpoint.lowercased()
        if var waiting = waiters[endpoint], !waiting.isEmpty {
            let waiter = waiting.removeFirst()
            waiters[endpoint] = waiting
            waiter.continuation.resume(returning: handOut((queued.removeValue(forKey: endpoint) ?? []) + [task], to: endpoint))
            return
        }
        queued[endpoint, default: []].append(task)
    }

    /// Notes `tasks` as handed to `endpoint` now, and returns them.
    private func handOut(_ tasks: [PlatformTask], to endpoint: String) -> [PlatformTask] {
        let now = ContinuousClock.now
        handedOut[endpoint, default: []] += tasks.map { ($0, now) }
        return tasks
    }

    /// Queues again, ahead of the rest, what was handed to `endpoint` too long ago
    /// without a result.
    private func requeueOverdue(of endpoint: String) {
        guard let out = handedOut[endpoint], !out.isEmpty else { return }
        let deadline = ContinuousClock.now - redeliverAfter
        let overdue = out.filter { $0.at <= deadline && results[$0.task.id] == nil }.map(\.task)
        guard !overdue.isEmpty else { return }
        handedOut[endpoint] = out.filter { $0.at > deadline && results[$0.task.id] == nil }
        queued[endpoint] = overdue + (queued[endpoint] ?? [])
    }

    /// Every task queued for `endpoint`, waiting up to `wait` for one when there is none
    /// (an empty answer then). A cancelled poll (its client went away) ends at once.
    public func poll(_ endpoint: String, wait: Duration) async -> [PlatformTask] {
        let endpoint = endpoint.lowercased()
        requeueOverdue(of: endpoint)
        if let tasks = queued.removeValue(forKey: endpoint), !tasks.isEmpty { return handOut(tasks, to: endpoint) }
        guard wait > .zero else { return [] }
        for earlier in waiters.removeValue(forKey: endpoint) ?? [] { earlier.continuation.resume(returning: []) }
        nextWaiter += 1
        let id = nextWaiter
        let timer = Task { [weak self] in
            try? await Task.sleep(for: wait)
            await self?.expire(id, of: endpoint)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiters[endpoint, default: []].append(Waiter(id: id, continuation: continuation))
            }
        } onCancel: {
            Task { await self.expire(id, of: endpoint) }
        }
    }

    /// Answers waiter `id` empty, if it still waits.
    private func expire(_ id: UInt64, of endpoint: String) {
        guard let index = waiters[endpoint]?.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters[endpoint]!.remove(at: index)
        waiter.continuation.resume(returning: [])
    }

    /// Stores a result; the first one of an id is kept (a repeated delivery of the same
    /// result, e.g. after the endpoint restarted, changes nothing). True when it was new.
    @discardableResult
    public func record(_ result: TaskResult, for id: String) -> Bool {
        guard results[id] == nil else { return false }
        results[id] = result
        let endpoint = result.endpoint.lowercased()
        handedOut[endpoint]?.removeAll { $0.task.id == id }
        return true
    }

    public func result(_ id: String) -> TaskResult? { results[id] }

    public func queuedCount(_ endpoint: String) -> Int { queued[endpoint.lowercased()]?.count ?? 0 }
}
