import Synchronization

/// A wake-up for "something changed" between a writer thread and an async reader,
/// with a timeout. The reader notes `generation` before looking at the state, so a
/// change made while it looks is never missed: `wait(after:)` returns at once then.
public final class ProgressSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every waiter. Safe from any thread.
    public func signal() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters = [:] }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume() }
    }

    /// Returns once `generation` has moved past `seen`, or after `timeout` (nil: no limit).
    ///
    /// The timer starts only once the waiter is registered: a timer started before could
    /// fire first, find no waiter to wake, and leave the wait parked until the next
    /// signal (a flush deadline lost that way held a partial chunk back indefinitely).
    public func wait(after seen: UInt64, timeout: Duration?) async {
        let id = state.withLock { state in
            defer { state.nextWaiter &+= 1 }
            return state.nextWaiter
        }
        let timer = Mutex<Task<Void, Never>?>(nil)
        await withCheckedContinuation { continuation in
            let alreadyChanged = state.withLock { state -> Bool in
                if state.generation != seen { return true }
                state.waiters[id] = continuation
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
        state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }
}
