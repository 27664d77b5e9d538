/// When a run's delivery has stalled: its platform refused or was unreachable for
/// `threshold` without one acknowledgement in between. Told once per stall
/// (`delivery-stalled`), not at every retry; an acknowledgement ends the stall.
///
/// A value the delivery keeps, given the time, so a test drives it with its own instants.
struct DeliveryStallWatch: Sendable {
    static let threshold: Duration = .seconds(60)

    private var failingSince: ContinuousClock.Instant?
    private var told = false

    /// A message failed (no answer, or a status retried) at `now`: true when the stall
    /// is to be told now.
    mutating func failed(at now: ContinuousClock.Instant) -> Bool {
        let since = failingSince ?? now
        failingSince = since
        guard !told, now - since >= Self.threshold else { return false }
        told = true
        return true
    }

    /// The platform acknowledged a message: any stall is over.
    mutating func acknowledged() {
        failingSince = nil
        told = false
    }
}
