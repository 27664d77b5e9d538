import Prometheus
import TraceModel

/// The endpoint's Prometheus metrics, served as text by `GET /metrics`.
///
/// One registry per application, not swift-metrics' process-wide bootstrap: tests build
/// many applications in one process, and each must see only its own counts. Names
/// follow Prometheus conventions (`_total` counters, seconds, bytes).
public final class EndpointMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let runsStarted: [TracerType: Counter]
    private let outputBytes: Counter
    private let deliveredBytes: Counter
    private let deliveredChunks: Counter
    private let deliveryRetries: Counter
    private let deliveryRefusals: Counter
    private let authRejected: Counter
    private let authBusy: Counter
    private let eventsLost: Counter
    private let activeRuns: Gauge
    private let taskResultsDropped: [TaskResultDrop: Counter]
    private let tasksRefused: Counter
    /// Connections the HTTP server's guard closed on its own.
    public let connections: ConnectionMetrics
    /// The event outbox's sends and drops.
    public let events: EventMetrics

    /// Request latencies from 1 ms to 30 s (argon2 verifications sit around 10-100 ms).
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(5), .seconds(30),
    ]

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        runsStarted = Self.counters(
            registry,
            Self.descriptor("runs_started", unit: "total", help: "Tracer runs started."),
            labelledBy: "tracer"
        )
        outputBytes = registry.makeCounter(
            descriptor: Self.descriptor("output_bytes", unit: "total", help: "Bytes the tracers wrote to stdout (kept in run files).")
        )
        eventsLost = registry.makeCounter(
            descriptor: Self.descriptor(
                "tracer_events_lost",
                unit: "total",
                help: "Events the tracers reported lost (bpftrace's lost_events notices): probes fired but their events were dropped."
            )
        )
        deliveredBytes = registry.makeCounter(
            descriptor: Self.descriptor("delivered_bytes", unit: "total", help: "Run-file bytes the platform acknowledged (raw, before base64).")
        )
        deliveredChunks = registry.makeCounter(
            descriptor: Self.descriptor("delivered_chunks", unit: "total", help: "Chunks the platform acknowledged.")
        )
        deliveryRetries = registry.makeCounter(
            descriptor: Self.descriptor(
                "delivery_retries",
                unit: "total",
                help: "Submit messages sent again after a connection error, timeout, 5xx, 408 or 429."
            )
        )
        deliveryRefusals = registry.makeCounter(
            descriptor: Self.descriptor(
                "delivery_refused",
                unit: "total",
                help: "Submit messages the platform refused for good (other 4xx); not sent again."
            )
        )
        authRejected = registry.makeCounter(
            descriptor: Self.descriptor("auth_failures", unit: "total", help: "Requests refused by authentication."),
            labels: [("reason", "rejected")]
        )
        authBusy = registry.makeCounter(
            descriptor: Self.descriptor("auth_failures", unit: "total", help: "Requests refused by authentication."),
            labels: [("reason", "busy")]
        )
        activeRuns = registry.makeGauge(descriptor: Self.descriptor("runs_active", unit: "", help: "Runs started and not yet delivered."))
        taskResultsDropped = Self.counters(
            registry,
            Self.descriptor(
                "task_results_dropped",
                unit: "total",
                help: "Pull-mode task results given up without the platform's acknowledgement, by reason."
            ),
            labelledBy: "reason"
        )
        tasksRefused = registry.makeCounter(
            descriptor: Self.descriptor(
                "tasks_refused",
                unit: "total",
                help: "Pull-mode tasks answered 503 and not run: the task record was full of unacknowledged results."
            )
        )
        connections = ConnectionMetrics(registry: registry)
        events = EventMetrics(registry: registry)
    }

    /// Why a task's result was given up (`lambda_task_results_dropped_total{reason}`).
    public enum TaskResultDrop: String, CaseIterable, Sendable {
        /// The platform answered 400, 413 or 422.
        case refused
        /// The platform answered 404 task-result-404-limit times.
        case notFound = "not-found"
        /// A result the record does not keep (a refusal) that the platform did not take.
        case unsent
    }

    public func taskResultDropped(_ reason: TaskResultDrop) { taskResultsDropped[reason]?.increment() }
    public func taskRefused() { tasksRefused.increment() }

    public func runStarted(_ tracer: TracerType) {
        runsStarted[tracer]?.increment()
        activeRuns.increment()
    }

    /// `outcome`: `ok` (code 0), `failed` (another code), `unknown` (the endpoint
    /// restarted while the tracer ran).
    public func runFinished(_ tracer: TracerType, outcome: String) {
        registry.makeCounter(
            descriptor: Self.descriptor("runs_finished", unit: "total", help: "Runs whose finished message the platform acknowledged."),
            labels: [("tracer", tracer.rawValue), ("outcome", outcome)]
        ).increment()
        activeRuns.decrement()
    }

    /// A run resumed at start-up is active again without a new start.
    public func runResumed() { activeRuns.increment() }

    public func outputWritten(bytes: Int) { outputBytes.increment(by: Int64(bytes)) }

    public func tracerLostEvents(_ count: Int64) { if count > 0 { eventsLost.increment(by: count) } }

    public func delivered(bytes: Int64, chunks: Int) {
        if bytes > 0 { deliveredBytes.increment(by: bytes) }
        if chunks > 0 { deliveredChunks.increment(by: Int64(chunks)) }
    }

    public func deliveryRetried(count: Int) { if count > 0 { deliveryRetries.increment(by: Int64(count)) } }
    public func deliveryRefused(count: Int) { if count > 0 { deliveryRefusals.increment(by: Int64(count)) } }

    public func authenticationRejected() { authRejected.increment() }
    public func authenticationBusy() { authBusy.increment() }

    public func request(method: String, status: Int, duration: Duration) {
        registry.makeDurationHistogram(
            descriptor: Self.descriptor("http_request_duration", unit: "seconds", help: "HTTP requests served, by method and status."),
            labels: [("method", method), ("status", String(status))],
            buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// One counter per case of `Key`, labelled `label="<case>"`: every series is there,
    /// at zero, from the first scrape.
    static func counters<Key: CaseIterable & RawRepresentable & Hashable>(
        _ registry: PrometheusCollectorRegistry,
        _ descriptor: MetricNameDescriptor,
        labelledBy label: String
    ) -> [Key: Counter] where Key.RawValue == String {
        Dictionary(uniqueKeysWithValues: Key.allCases.map { ($0, registry.makeCounter(descriptor: descriptor, labels: [(label, $0.rawValue)])) })
    }

    /// `lambda_<metric>_<unit>`, with its HELP text.
    static func descriptor(_ metric: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "lambda", metricName: metric, unitName: unit, helpText: help)
    }

    /// The Prometheus text exposition format.
    public func text() -> String { registry.emitToString() }
}
