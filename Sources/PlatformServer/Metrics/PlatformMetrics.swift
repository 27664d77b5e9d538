import PlatformStore
import Prometheus

/// The platform's Prometheus metrics (`GET /metrics`, docs/platform.md *Metrics*): counted
/// where the routes and the retention sweep are, and the store's sizes read at each scrape.
/// One registry per platform, as the endpoint's: tests run many platforms in one process.
public final class PlatformMetrics: Sendable {
    /// The messages endpoints send, by kind (`lambda_platform_messages_total{kind}`).
    public enum MessageKind: String, CaseIterable, Sendable {
        case start, chunk, finished, event, registration, poll, result
    }

    public let registry: PrometheusCollectorRegistry
    private let ingestBytes: Counter
    private let messages: [MessageKind: Counter]
    private let runsRemoved: Counter
    private let pollsHeld: Gauge
    private let sessions: Gauge
    private let storeBytes: Gauge
    private let eventsStored: Gauge

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        ingestBytes = registry.makeCounter(
            descriptor: Self.descriptor("ingest_bytes", unit: "total", help: "Stream bytes received in /submit chunks (raw, before base64).")
        )
        let messagesDescriptor = Self.descriptor("messages", unit: "total", help: "Endpoint messages taken (2xx), by kind.")
        messages = Dictionary(
            uniqueKeysWithValues: MessageKind.allCases.map {
                ($0, registry.makeCounter(descriptor: messagesDescriptor, labels: [("kind", $0.rawValue)]))
            }
        )
        runsRemoved = registry.makeCounter(descriptor: Self.descriptor("runs_removed", unit: "total", help: "Runs the retention sweep removed."))
        pollsHeld = registry.makeGauge(descriptor: Self.descriptor("polls_held", unit: "", help: "Pull endpoints' polls waiting for a task now."))
        sessions = registry.makeGauge(descriptor: Self.descriptor("sessions", unit: "", help: "Sessions stored."))
        storeBytes = registry.makeGauge(
            descriptor: Self.descriptor("store", unit: "bytes", help: "Bytes the database occupies (SQLite: file and WAL).")
        )
        eventsStored = registry.makeGauge(descriptor: Self.descriptor("events_stored", unit: "", help: "Endpoint events stored."))
    }

    public func received(_ kind: MessageKind, bytes: Int = 0) {
        messages[kind]?.increment()
        if bytes > 0 { ingestBytes.increment(by: Int64(bytes)) }
    }

    /// A request answered 4xx or 5xx (`lambda_platform_refusals_total{status}`).
    public func refused(status: Int) {
        registry.makeCounter(
            descriptor: Self.descriptor("refusals", unit: "total", help: "Requests answered 4xx or 5xx, by status."),
            labels: [("status", String(status))]
        ).increment()
    }

    public func removedRuns(_ count: Int) { if count > 0 { runsRemoved.increment(by: Int64(count)) } }
    public func pollHeld() { pollsHeld.increment() }
    public func pollAnswered() { pollsHeld.decrement() }

    /// The text exposition, the store's sizes read now (`StoredCounts`).
    public func text(database: any PlatformDatabase) async -> String {
        if let size = await database.storeSize() { storeBytes.set(size) }
        if let counts = try? await StoredCounts.read(database) {
            sessions.set(counts.sessions)
            eventsStored.set(counts.events)
        }
        return registry.emitToString()
    }

    /// `lambda_platform_<metric>_<unit>`, with its HELP text.
    static func descriptor(_ metric: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "lambda_platform", metricName: metric, unitName: unit, helpText: help)
    }
}
