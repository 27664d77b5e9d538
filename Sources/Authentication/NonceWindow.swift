import Synchronization

/// The nonces accepted in the last `window` seconds, so that a signed request is taken
/// once: a replay inside the window finds its nonce here; one outside it fails the time
/// check. Bounded: when `capacity` nonces younger than the window are held, a new one is
/// refused (the sender retries later) rather than an old one forgotten, which would
/// re-open its replay.
public final class NonceWindow: Sendable {
    public enum Outcome: Equatable, Sendable {
        case accepted
        case repeated
        case full
    }

    private struct State {
        var seen: [String: Int64] = [:]
        /// Insertion order with times, oldest first, for expiry without a scan.
        var order: [(nonce: String, time: Int64)] = []
        var head = 0
    }

    public let window: Int64
    public let capacity: Int
    private let state = Mutex(State())

    public init(window: Int64 = 300, capacity: Int = 100_000) {
        self.window = window
        self.capacity = capacity
    }

    /// Records `nonce` as accepted at `now` unless it was accepted within the window.
    public func accept(_ nonce: String, now: Int64) -> Outcome {
        state.withLock { state in
            while state.head < state.order.count, state.order[state.head].time <= now - window {
                let old = state.order[state.head]
                if state.seen[old.nonce] == old.time { state.seen[old.nonce] = nil }
                state.head += 1
            }
            if state.head > 1024, state.head * 2 > state.order.count {
                state.order.removeFirst(state.head)
                state.head = 0
            }
            if state.seen[nonce] != nil { return .repeated }
            guard state.seen.count < capacity else { return .full }
            state.seen[nonce] = now
            state.order.append((nonce, now))
            return .accepted
        }
    }

    public var count: Int { state.withLock { $0.seen.count } }
}
