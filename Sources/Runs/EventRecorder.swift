import EndpointStorage
import Foundation
import Logging
import PlatformWire
import PrometheusMetrics
import Submitter
import Synchronization

/// The event outbox's recording side (docs/fleet.md, "Events"): what happened to the
/// endpoint becomes a row of the database the moment it happens
/// (`EndpointDatabase.recordEvent`) and stays until the platform answered 2xx to the
/// `POST /events` that carried it (`EventSender`, in EndpointServer), so a restart,
/// SIGKILL included, loses none. The rows are bounded by `max-pending-events`: beyond,
/// the oldest give way, and the drop is an `events-dropped` event and
/// `lambda_events_dropped_total{reason="overflow"}`.
public final class EventRecorder: Sendable {
    public let maxPending: Int
    public let database: EndpointDatabase
    public let metrics: EventMetrics
    let logger: Logger
    /// Signalled at every recorded event: what the sender waits on.
    public let recordedSignal = ProgressSignal()
    /// The newest `seq` of the batch being posted (`Int64.max` while one is being read):
    /// an `events-dropped` row up to it is not added to.
    private let inFlightThrough = Mutex<Int64?>(nil)

    public init(maxPending: Int, database: EndpointDatabase, metrics: EventMetrics, logger: Logger) {
        self.maxPending = maxPending
        self.database = database
        self.metrics = metrics
        self.logger = logger
    }

    /// How a new event enters the database: the bound, and the batch in flight.
    var admission: EventAdmission {
        EventAdmission(maxPending: maxPending) { [self] in inFlightThrough.withLock { $0 } }
    }

    /// The sender is reading a batch (`Int64.max`), posting one up to `seq`, or idle (nil).
    public func setInFlight(through seq: Int64?) { inFlightThrough.withLock { $0 = seq } }

    /// Persists `event` and wakes the sender.
    public func record(_ event: EndpointEvent) async {
        do {
            recorded(dropping: try await database.recordEvent(event, admission: admission))
        } catch {
            logger.error("Cannot record an event", metadata: ["event.kind": "\(event.kind)", "error": "\(error)"])
        }
    }

    /// An event was written (by `record`, or in a write of its own, as `run-finished`
    /// with the tracer's exit): counts what gave way, wakes the sender.
    func recorded(dropping dropped: Int) {
        if dropped > 0 {
            metrics.eventsDropped(dropped, .overflow)
            logger.warning(
                "Dropped the oldest events: max-pending-events are waiting for the platform",
                metadata: ["event.dropped": "\(dropped)", "event.max-pending": "\(maxPending)"]
            )
        }
        recordedSignal.signal()
    }
}
