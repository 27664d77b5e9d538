import EndpointCore
import Foundation

/// A queue of tasks per endpoint, answered by long polls, and the results sent back.
///
/// A poll takes every task queued for its endpoint. One that finds none waits: the first
/// task queued for the endpoint meanwhile resumes it at once; otherwise it is answered
/// empty when its `wait` ends. Nothing is persisted (a reference platform).
///
/// An endpoint polls one at a time, so a new poll answers the one still waiting empty
/// at once: that one is most likely a connection its endpoint gave up (a restart, a
/// timeout), and a task handed to it would be written to nobody and lost.
public actor TaskQueues {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<[PlatformTask], Never>
    }

    private var queued: [String: [PlatformTask]] = [:]
    private var waiters: [String: [Waiter]] = [:]
    private var nextWaiter: UInt64 = 0
    private var results: [String: TaskResult] = [:]

    public init() {}

    public func enqueue(_ task: PlatformTask, for endpoint: String) {
        let endpoint = endpoint.lowercased()
        if var waiting = waiters[endpoint], !waiting.isEmpty {
            let waiter = waiting.removeFirst()
            waiters[endpoint] = waiting
            waiter.continuation.resume(returning: (queued.removeValue(forKey: endpoint) ?? []) + [task])
            return
        }
        queued[endpoint, default: []].append(task)
    }

    /// Every task queued for `endpoint`, waiting up to `wait` for one when there is none
    /// (an empty answer then). A cancelled poll (its client went away) ends at once.
    public func poll(_ endpoint: String, wait: Duration) async -> [PlatformTask] {
        let endpoint = endpoint.lowercased()
        if let tasks = queued.removeValue(forKey: endpoint), !tasks.isEmpty { return tasks }
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
        return true
    }

    public func result(_ id: String) -> TaskResult? { results[id] }

    public func queuedCount(_ endpoint: String) -> Int { queued[endpoint.lowercased()]?.count ?? 0 }
}
