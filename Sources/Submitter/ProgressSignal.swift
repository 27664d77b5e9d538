import Synchronization

/// A wake-up for "something changed" between a writer thread and an async reader,
/// with a timeout. The reader notes `generation` before looking at the state, so a
/// change made while it looks is never missed: `wait(after:)` returns at once then.
///
/// A change may carry a level (a run's bytes written so far), and a waiter may ask to
/// be woken only once the level reaches a mark (a whole chunk's worth): a delivery that
/// waits for a full chunk then wakes once per chunk, not once per block the tracer's
/// reader writes (five times as often for a real tracer). A change without a level (the
/// tracer exited) wakes every waiter.
public final class ProgressSignal: Sendable {
    private struct Waiter {
        let continuation: CheckedContinuation<Void, Never>
        let mark: Int64?
    }

    private struct State {
        var generation: UInt64 = 0
        /// The generation of the last change without a level.
        var lastLevelless: UInt64 = 0
        var level: Int64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]

        func changed(since seen: UInt64, mark: Int64?) -> Bool {
            if lastLevelless > seen { return true }
            guard let mark else { return generation != seen }
            return generation != seen && level >= mark
        }
    }

    private let state = Mutex(State())

    public init() {}

    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every waiter. Safe from any thread.
    public func signal() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            state.lastLevelless = state.generation
            defer { state.waiters = [:] }
            return state.waiters
        }
        for waiter in waiters.values { waiter.continuation.resume() }
    }

    /// Records `level` (never lower than the last one) and wakes the waiters without a
    /// mark and those whose mark it reaches. Safe from any thread.
    public func signal(level: Int64) {
        let woken = state.withLock { state -> [Waiter] in
            state.generation &+= 1
            state.level = max(state.level, level)
            let level = state.level
            var woken: [Waiter] = []
            for (id, waiter) in state.waiters where waiter.mark.map({ level >= $0 }) ?? true {
                woken.append(waiter)
                state.waiters[id] = nil
            }
            return woken
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// Returns once `generation` has moved past `seen` (with `mark`: by a change without a
    /// level, or once the level reached `mark`), or after `timeout` (nil: no limit).
    ///
    /// The timer starts only once the waiter is registered: a timer started before could
    /// fire first, find no waiter to wake, and leave the wait parked until the next
    /// signal (a flush deadline lost that way held a partial chunk back indefinitely).
    public func wait(after seen: UInt64, until mark: Int64? = nil, timeout: Duration?) async {
        let id = state.withLock { state in
            defer { state.nextWaiter &+= 1 }
            return state.nextWaiter
        }
        let timer = Mutex<Task<Void, Never>?>(nil)
        await withCheckedContinuation { continuation in
            let alreadyChanged = state.withLock { state -> Bool in
                if state.changed(since: seen, mark: mark) { return true }
                state.waiters[id] = Waiter(continuation: continuation, mark: mark)
                return false
            }
            if alreadyChanged {
                continuation.resume()
                return
            }
            if let timeout {
                timer.withLock { timer in
                    timer = Task { [weak self] in
                        try? await Task.sleep(for: timeout)
                        self?.resume(id)
                    }
                }
            }
        }
        timer.withLock { $0?.cancel() }
    }

    private func resume(_ id: UInt64) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
    }
}
