import Prometheus

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
    private let activeRuns: Gauge

    /// Request latencies from 1 ms to 30 s (argon2 verifications sit around 10-100 ms).
    static let latencyBuckets: [Duration] = [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30)]

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        runsStarted = Dictionary(uniqueKeysWithValues: TracerType.allCases.map { tracer in
            (tracer, registry.makeCounter(name: "lambda_runs_started_total", labels: [("tracer", tracer.rawValue)], help: "Tracer runs started."))
        })
        outputBytes = registry.makeCounter(name: "lambda_output_bytes_total", help: "Bytes the tracers wrote to stdout (kept in run files).")
        deliveredBytes = registry.makeCounter(name: "lambda_delivered_bytes_total", help: "Run-file bytes the platform acknowledged (raw, before base64).")
        deliveredChunks = registry.makeCounter(name: "lambda_delivered_chunks_total", help: "Chunks the platform acknowledged.")
        deliveryRetries = registry.makeCounter(name: "lambda_delivery_retries_total", help: "Submit messages sent again after a connection error, timeout, 5xx, 408 or 429.")
        deliveryRefusals = registry.makeCounter(name: "lambda_delivery_refused_total", help: "Submit messages the platform refused for good (other 4xx); not sent again.")
        authRejected = registry.makeCounter(name: "lambda_auth_failures_total", labels: [("reason", "rejected")], help: "Requests refused by authentication.")
        authBusy = registry.makeCounter(name: "lambda_auth_failures_total", labels: [("reason", "busy")], help: "Requests refused by authentication.")
        activeRuns = registry.makeGauge(name: "lambda_runs_active", help: "Runs started and not yet delivered.")
    }

    public func runStarted(_ tracer: TracerType) {
        runsStarted[tracer]?.increment()
        activeRuns.increment()
    }

    /// `outcome`: `ok` (code 0), `failed` (another code), `unknown` (the endpoint
    /// restarted while the tracer ran).
    public func runFinished(_ tracer: TracerType, outcome: String) {
        registry.makeCounter(name: "lambda_runs_finished_total", labels: [("tracer", tracer.rawValue), ("outcome", outcome)], help: "Runs whose finished message the platform acknowledged.").increment()
        activeRuns.decrement()
    }

    /// A run resumed at start-up is active again without a new start.
    public func runResumed() { activeRuns.increment() }

    public func outputWritten(bytes: Int) { outputBytes.increment(by: Int64(bytes)) }

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
            name: "lambda_http_request_duration_seconds", labels: [("method", method), ("status", String(status))],
            buckets: Self.latencyBuckets, help: "HTTP requests served, by method and status.").record(duration)
    }

    /// The Prometheus text exposition format.
    public func text() -> String { registry.emitToString() }
}
