import Foundation
import PlatformWire
import Synchronization

/// The events of one launched run that its tracer's reader threads notice
/// (`events-lost`, `probes-missing`, `spool-full`, `rate-limited`), recorded in the order
/// they happened: each record waits for the one before, and `finish` for all of them, so
/// the run's `run-finished` comes after them.
final class RunEventReporter: Sendable {
    let recorder: EventRecorder
    /// The run's `filePath`.
    let run: String

    private struct State {
        var lost = EventsLostCoalescer()
        var flushArmed = false
        /// Kinds told once per run.
        var told: Set<EndpointEvent.Kind> = []
        /// The latest record: the next one waits for it.
        var latest: Task<Void, Never>?
    }
    private let state = Mutex(State())

    init(recorder: EventRecorder, run: String) {
        self.recorder = recorder
        self.run = run
    }

    /// Records `kind` now, after the events before it.
    func tell(_ kind: EndpointEvent.Kind, _ detail: [String: JSONValue] = [:]) {
        let event = EndpointEvent(kind: kind, run: run, detail: detail)
        state.withLock { state in
            let previous = state.latest
            state.latest = Task { [recorder] in
                await previous?.value
                await recorder.record(event)
            }
        }
    }

    /// Records `kind` unless it was told for this run already.
    func tellOnce(_ kind: EndpointEvent.Kind, _ detail: [String: JSONValue] = [:]) {
        guard state.withLock({ $0.told.insert(kind).inserted }) else { return }
        tell(kind, detail)
    }

    /// bpftrace reported `count` more events lost (coalesced, `EventsLostCoalescer`).
    func eventsLost(_ count: Int64) {
        let (now, armTimer) = state.withLock { state -> (Int64?, ContinuousClock.Instant?) in
            let now = state.lost.lost(count, at: .now)
            guard now == nil, !state.flushArmed, let due = state.lost.due else { return (now, nil) }
            state.flushArmed = true
            return (nil, due)
        }
        if let now { tell(.eventsLost, ["count": .integer(now)]) }
        if let armTimer {
            Task {
                try? await Task.sleep(until: armTimer, clock: .continuous)
                tellDueLoss()
            }
        }
    }

    private func tellDueLoss() {
        let sum = state.withLock { state in
            state.flushArmed = false
            return state.lost.take(at: .now)
        }
        if let sum { tell(.eventsLost, ["count": .integer(sum)]) }
    }

    /// The tracer exited: what is held is told, and every record is done on return.
    func finish() async {
        if let held = state.withLock({ $0.lost.flush() }) { tell(.eventsLost, ["count": .integer(held)]) }
        await state.withLock { $0.latest }?.value
    }
}
