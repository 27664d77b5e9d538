/// bpftrace's "Lost N events" notices of one run, as `events-lost` events: at most one
/// every `interval`, carrying the sum lost since the previous one (a tracer under load
/// prints a notice a second or more; one event each would be the outbox's whole bound).
/// The first loss is told at once; what is held is told once the interval is over
/// (`due`), and at the run's end (`flush`), with the run's end.
///
/// A value: the caller keeps it under its lock and passes the time, so a test drives it
/// with instants of its choosing.
struct EventsLostCoalescer: Sendable {
    static let interval: Duration = .seconds(10)

    /// Lost and not told yet.
    private(set) var held: Int64 = 0
    private var lastTold: ContinuousClock.Instant?

    /// `count` more lost at `now`: the sum to tell now, or nil (held until `due`).
    mutating func lost(_ count: Int64, at now: ContinuousClock.Instant) -> Int64? {
        guard count > 0 else { return nil }
        held = held > Int64.max - count ? Int64.max : held + count
        return take(at: now)
    }

    /// The held sum if its interval is over at `now`.
    mutating func take(at now: ContinuousClock.Instant) -> Int64? {
        guard held > 0 else { return nil }
        if let lastTold, now - lastTold < Self.interval { return nil }
        defer {
            held = 0
            lastTold = now
        }
        return held
    }

    /// When the held sum may be told (nil: nothing held).
    var due: ContinuousClock.Instant? {
        guard held > 0 else { return nil }
        return lastTold.map { $0 + Self.interval }
    }

    /// The run ended: whatever is held, now.
    mutating func flush() -> Int64? {
        guard held > 0 else { return nil }
        defer { held = 0 }
        return held
    }
}
