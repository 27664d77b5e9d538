import Prometheus

/// The export's counts in `/metrics` (docs/platform.md, *OTLP export*).
struct OTLPExportMetrics: Sendable {
    /// `lambda_platform_otlp_records_total{outcome}`: exported (a collector took them),
    /// dropped (the queue was full: the oldest went), rejected (a 4xx other than 429),
    /// unread (a stream range or events the export could not read from the database, or
    /// that found the work list full).
    let exported: Counter
    let dropped: Counter
    let rejected: Counter
    let unread: Counter
    /// `lambda_platform_otlp_request_failures_total`: requests that will be tried again.
    let failures: Counter
    /// `lambda_platform_otlp_queued_records`: records waiting for the collector now.
    let queued: Gauge

    init(registry: PrometheusCollectorRegistry) {
        let records = PlatformMetrics.descriptor("otlp_records", unit: "total", help: "OTLP log records, by what became of them.")
        exported = registry.makeCounter(descriptor: records, labels: [("outcome", "exported")])
        dropped = registry.makeCounter(descriptor: records, labels: [("outcome", "dropped")])
        rejected = registry.makeCounter(descriptor: records, labels: [("outcome", "rejected")])
        unread = registry.makeCounter(descriptor: records, labels: [("outcome", "unread")])
        failures = registry.makeCounter(
            descriptor: PlatformMetrics.descriptor("otlp_request_failures", unit: "total", help: "OTLP export requests that failed and are retried.")
        )
        queued = registry.makeGauge(
            descriptor: PlatformMetrics.descriptor("otlp_queued_records", unit: "", help: "OTLP log records waiting for the collector.")
        )
    }
}
