import Synchronization

/// How many `?follow=true` answers are open at once: each holds a connection and waits on
/// the run's growth. Beyond `limit` a follow is refused with 503 (a plain read still
/// works), so followers cannot hold every connection the platform has.
final class StreamFollowers: Sendable {
    let limit: Int
    private let count = Mutex(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a place, false when all are taken; give it back with `leave`.
    func enter() -> Bool {
        count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func leave() { count.withLock { $0 -= 1 } }
}
