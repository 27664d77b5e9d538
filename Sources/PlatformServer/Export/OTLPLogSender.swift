import Foundation
import Logging
import Synchronization

/// Sends the queue's records in batches: a request as soon as `batchRecords` wait, or once
/// the oldest has waited `flushInterval`; a request that fails (no answer, 429, 5xx) is
/// tried again after a backoff, with whatever is oldest in the queue then. Logs once when
/// the collector stops answering and once when it answers again, and once per spell of
/// drops (when the queue overflows, then when it has room again).
final class OTLPLogSender: Sendable {
    /// A batch holds about this many bytes at most: collectors refuse large bodies
    /// (the OpenTelemetry Collector's HTTP receiver: 20 MiB by default).
    static let maxBatchBytes = 4 << 20
    /// How long a record waits for a fuller batch: a short delay, many lines per request.
    static let flushInterval = Duration.seconds(1)
    /// Backoff after a failure: doubling from the first, capped at the last.
    static let firstBackoff = Duration.milliseconds(500)
    static let maxBackoff = Duration.seconds(5)

    private struct Spells {
        var failing = false
        var dropping = false
        var droppedInSpell = 0
    }

    let client: OTLPCollectorClient
    let queue: OTLPRecordQueue
    let batchRecords: Int
    let metrics: OTLPExportMetrics
    let logger: Logger
    private let spells = Mutex(Spells())
    private let signal = WakeSignal()

    init(client: OTLPCollectorClient, queue: OTLPRecordQueue, batchRecords: Int, metrics: OTLPExportMetrics, logger: Logger) {
        self.client = client
        self.queue = queue
        self.batchRecords = batchRecords
        self.metrics = metrics
        self.logger = logger
    }

    func wake() { signal.signal("records") }

    /// The queue dropped `count` old records to make room.
    func dropped(_ count: Int) {
        metrics.dropped.increment(by: Int64(count))
        let starts = spells.withLock { spells in
            spells.droppedInSpell += count
            defer { spells.dropping = true }
            return !spells.dropping
        }
        if starts {
            logger.warning(
                "OTLP export: the queue is full (otlp-max-queued-records, otlp-max-queued-bytes); dropping the oldest records",
                metadata: ["collector": "\(client.url)"]
            )
        }
    }

    func run() async {
        var backoff = Self.firstBackoff
        var waitingSince: ContinuousClock.Instant?
        while !Task.isCancelled {
            let batch = queue.batch(maxRecords: batchRecords, maxBytes: Self.maxBatchBytes)
            guard let last = batch.last else {
                waitingSince = nil
                await signal.wait(for: "records", timeout: Self.flushInterval)
                continue
            }
            let full = batch.count >= batchRecords || batch.reduce(0, { $0 + $1.size }) >= Self.maxBatchBytes / 2
            let since = waitingSince ?? .now
            if !full && ContinuousClock.now - since < Self.flushInterval {
                waitingSince = since
                await signal.wait(for: "records", timeout: Self.flushInterval - (ContinuousClock.now - since))
                continue
            }
            waitingSince = nil
            let outcome = await client.post(OTLPLogsRequest.encoded(batch.map(\.record)))
            switch outcome {
            case .accepted:
                queue.remove(through: last.sequence)
                metrics.exported.increment(by: Int64(batch.count))
                backoff = Self.firstBackoff
                answered()
            case .rejected(let status):
                queue.remove(through: last.sequence)
                metrics.rejected.increment(by: Int64(batch.count))
                logger.error("OTLP export: the collector refused a request; its records are dropped", metadata: ["status": "\(status)"])
                answered()
            case .retry(let reason):
                metrics.failures.increment()
                if spells.withLock({ spells in
                    defer { spells.failing = true }
                    return !spells.failing
                }) {
                    logger.warning(
                        "OTLP export: the collector does not take records; retrying with backoff",
                        metadata: ["collector": "\(client.url)", "reason": "\(reason)"]
                    )
                }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, Self.maxBackoff)
            }
            metrics.queued.set(Int64(queue.count))
        }
    }

    /// The collector answered: ends a failing spell, and a dropping one once the queue
    /// is down to half its bounds.
    private func answered() {
        let roomy = queue.count <= queue.maxRecords / 2 && queue.bytes <= queue.maxBytes / 2
        let (recovered, dropped) = spells.withLock { spells -> (Bool, Int?) in
            let recovered = spells.failing
            spells.failing = false
            guard spells.dropping && roomy else { return (recovered, nil) }
            defer {
                spells.dropping = false
                spells.droppedInSpell = 0
            }
            return (recovered, spells.droppedInSpell)
        }
        if recovered { logger.info("OTLP export: the collector takes records again", metadata: ["collector": "\(client.url)"]) }
        if let dropped {
            logger.warning("OTLP export: the queue has room again", metadata: ["records.dropped": "\(dropped)"])
        }
    }
}
