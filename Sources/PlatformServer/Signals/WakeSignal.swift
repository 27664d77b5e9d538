import Synchronization

/// Wakes whoever waits on a key (an endpoint's polls for its tasks, a run's followers for
/// its bytes) when something for that key was committed; a waiter also gives up after
/// its timeout. Several instances on one database carry wake-ups through it
/// (`Platform.announce`).
public final class WakeSignal: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, Never>
    }

    private let waiters = Mutex<(next: UInt64, byKey: [String: [Waiter]])>((0, [:]))

    public init() {}

    /// Wakes every waiter of `key`.
    public func signal(_ key: String) {
        let woken = waiters.withLock { $0.byKey.removeValue(forKey: key) ?? [] }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// Wakes every waiter of every key (each looks again for what it waits on).
    public func signalAll() {
        let woken = waiters.withLock { state in
            defer { state.byKey = [:] }
            return state.byKey.values.flatMap { $0 }
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// Returns when `key` is signalled or after `timeout`, whichever comes first (or at
    /// once when the task is cancelled).
    public func wait(for key: String, timeout: Duration) async {
        let id = waiters.withLock { state -> UInt64 in
            state.next += 1
            return state.next
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        // Checked under the lock that `onCancel` takes too: a cancellation
                        // either finds this waiter listed or is seen here.
                        let cancelled = self.waiters.withLock { state -> Bool in
                            guard !Task.isCancelled else { return true }
                            state.byKey[key, default: []].append(Waiter(id: id, continuation: continuation))
                            return false
                        }
                        if cancelled { continuation.resume() }
                    }
                } onCancel: {
                    self.resume(id: id, key: key)
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// How many wait on `key` now (a poll held counts an endpoint online).
    public func waiting(on key: String) -> Int {
        waiters.withLock { $0.byKey[key]?.count ?? 0 }
    }

    private func resume(id: UInt64, key: String) {
        let waiter = waiters.withLock { state -> Waiter? in
            guard var list = state.byKey[key], let index = list.firstIndex(where: { $0.id == id }) else { return nil }
            let waiter = list.remove(at: index)
            state.byKey[key] = list.isEmpty ? nil : list
            return waiter
        }
        waiter?.continuation.resume()
    }
}
