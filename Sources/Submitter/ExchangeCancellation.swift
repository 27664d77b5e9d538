import Synchronization

/// A task's request to abandon its exchange. Set off the event loop (in the cancellation
/// handler) before the loop is told; the loop reads it when the exchange starts, so a
/// cancellation that overtakes the start is not lost.
final class ExchangeCancellation: Sendable {
    private let requested = Atomic<Bool>(false)
    func request() { requested.store(true, ordering: .releasing) }
    var isRequested: Bool { requested.load(ordering: .acquiring) }
}
