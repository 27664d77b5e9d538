import PlatformStore
import Synchronization

/// Notes each endpoint's last request in the database at most once per 10 s: a stream
/// of chunks must not cost a second transaction per chunk. In memory, one entry per
/// endpoint heard from, cleared whole past `capacity` (then each writes once more).
final class LastSeenThrottle: Sendable {
    static let intervalMilliseconds: Int64 = 10_000
    let capacity: Int
    private let written = Mutex<[String: Int64]>([:])

    init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    /// Whether `uuid`'s request at `now` should be written (and, if so, it counts as written).
    func shouldWrite(_ uuid: String, now: Int64 = Clock.milliseconds()) -> Bool {
        written.withLock { written in
            if let last = written[uuid], now - last < Self.intervalMilliseconds { return false }
            if written.count >= capacity { written.removeAll(keepingCapacity: true) }
            written[uuid] = now
            return true
        }
    }
}
