import Prometheus

/// The event outbox (docs/fleet.md, "Events"): events the platform acknowledged, and
/// events given up, by reason. Every series exists from the start at zero.
public final class EventMetrics: Sendable {
    /// Why events were given up (`lambda_events_dropped_total{reason}`).
    public enum Drop: String, CaseIterable, Sendable {
        /// The outbox held `max-pending-events`: the oldest gave way.
        case overflow
        /// The platform refused their batch with a 4xx other than 408 and 429.
        case refused
    }

    private let sent: Counter
    private let dropped: [Drop: Counter]

    init(registry: PrometheusCollectorRegistry) {
        sent = registry.makeCounter(
            descriptor: EndpointMetrics.descriptor(
                "events_sent",
                unit: "total",
                help: "Events the platform acknowledged (POST /events answered 2xx)."
            )
        )
        dropped = EndpointMetrics.counters(
            registry,
            EndpointMetrics.descriptor(
                "events_dropped",
                unit: "total",
                help: "Events given up unsent: the oldest beyond max-pending-events, or a batch the platform refused for good."
            ),
            labelledBy: "reason"
        )
    }

    public func eventsSent(_ count: Int) { if count > 0 { sent.increment(by: Int64(count)) } }
    public func eventsDropped(_ count: Int, _ reason: Drop) { if count > 0 { dropped[reason]?.increment(by: Int64(count)) } }
}
