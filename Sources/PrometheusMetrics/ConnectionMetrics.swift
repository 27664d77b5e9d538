import Prometheus

/// What the HTTP server's connection guard closed on its own (docs/security.md, "Connections"):
/// connections closed to make room at `max-connections`, and connections closed at
/// `idle-timeout-seconds` or `request-read-timeout-seconds`. Every series exists from
/// the start at zero, so a scrape can tell "none yet" from "not counted".
public final class ConnectionMetrics: Sendable {
    /// Why the endpoint closed a connection at a deadline
    /// (`lambda_http_connections_timed_out_total{reason}`).
    public enum Timeout: String, CaseIterable, Sendable {
        /// No request for `idle-timeout-seconds`.
        case idle
        /// A request not arrived whole `request-read-timeout-seconds` after its first byte.
        case requestRead = "request-read"
    }

    private let evicted: Counter
    private let timedOut: [Timeout: Counter]

    init(registry: PrometheusCollectorRegistry) {
        evicted = registry.makeCounter(
            descriptor: EndpointMetrics.descriptor(
                "http_connections_evicted",
                unit: "total",
                help: "Connections closed to make room for a new one at max-connections (the least recently active not being answered)."
            )
        )
        timedOut = EndpointMetrics.counters(
            registry,
            EndpointMetrics.descriptor(
                "http_connections_timed_out",
                unit: "total",
                help: "Connections the endpoint closed at a deadline: idle-timeout-seconds or request-read-timeout-seconds."
            ),
            labelledBy: "reason"
        )
    }

    public func connectionEvicted() { evicted.increment() }
    public func connectionTimedOut(_ reason: Timeout) { timedOut[reason]?.increment() }
}
