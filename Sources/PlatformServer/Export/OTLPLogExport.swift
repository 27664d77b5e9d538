import Foundation
import Logging
import PlatformStore
import Synchronization

/// OTLP export (docs/platform.md, *OTLP export*): what this instance received — the
/// lines of runs' streams and endpoints' events — sent as OTLP log records to
/// `otlp-endpoint`. The routes only note what was committed (`streamAdvanced`,
/// `eventsStored`: a lock and an append, never a wait); `run()` reads it back, makes
/// records (`OTLPRecordQueue`, bounded) and sends them (`OTLPLogSender`).
public final class OTLPLogExport: Sendable {
    /// What a route committed, to be read back and exported.
    enum Work: Sendable {
        /// Chunks `from..<to` of `run` became contiguous at `at` (ms).
        case stream(run: String, endpoint: String, from: Int64, to: Int64, at: Int64)
        case events([EventRecord], endpoint: String)
    }

    /// Work noted and not yet read back, at most: each is a few words, and the reader
    /// keeps up unless the database stalls; beyond it the oldest is given up (counted).
    static let maxPendingWork = 10_000
    /// An endpoint's hostname is read again after this long (it changes on registration).
    static let hostnameLifetime = Duration.seconds(60)

    let runs: RunStore
    let endpoints: EndpointStore
    let queue: OTLPRecordQueue
    let sender: OTLPLogSender
    let metrics: OTLPExportMetrics
    let logger: Logger
    private let pending = Mutex<[Work]>([])
    private let wake = WakeSignal()

    /// nil when platform.yml has no `otlp-endpoint`.
    init?(settings: PlatformSettings, runs: RunStore, endpoints: EndpointStore, metrics: PlatformMetrics, logger: Logger) {
        guard let endpoint = settings.otlpEndpoint, let client = OTLPCollectorClient(endpoint: endpoint) else { return nil }
        self.runs = runs
        self.endpoints = endpoints
        self.logger = logger
        self.metrics = OTLPExportMetrics(registry: metrics.registry)
        queue = OTLPRecordQueue(maxRecords: settings.otlpMaxQueuedRecords, maxBytes: settings.otlpMaxQueuedBytes)
        sender = OTLPLogSender(client: client, queue: queue, batchRecords: settings.otlpBatchRecords, metrics: self.metrics, logger: logger)
    }

    /// `/submit` made chunks `from..<to` of `run` contiguous (committed).
    func streamAdvanced(run: String, endpoint: String, from: Int64, to: Int64) {
        note(.stream(run: run, endpoint: endpoint, from: from, to: to, at: Clock.milliseconds()))
    }

    /// `POST /events` stored `events` (committed; repeats left out).
    func eventsStored(_ events: [EventRecord], from endpoint: String) {
        guard !events.isEmpty else { return }
        note(.events(events, endpoint: endpoint))
    }

    private func note(_ work: Work) {
        let overflow = pending.withLock { pending in
            pending.append(work)
            guard pending.count > Self.maxPendingWork else { return false }
            pending.removeFirst()
            return true
        }
        if overflow {
            metrics.unread.increment()
            logger.warning("OTLP export: too much received work waiting to be read back; the oldest was given up")
        }
        wake.signal("work")
    }

    /// Reads back and sends until cancelled (`lambda-platform serve` starts it).
    public func run() async {
        async let sending: Void = sender.run()
        await readBack()
        await sending
    }

    /// Records waiting for the collector now.
    public var queuedRecords: Int { queue.count }

    private func readBack() async {
        var hostnames: [String: (name: String?, until: ContinuousClock.Instant)] = [:]
        while !Task.isCancelled {
            let work = pending.withLock { pending in
                defer { pending.removeAll() }
                return pending
            }
            if work.isEmpty {
                await wake.wait(for: "work", timeout: .seconds(1))
                continue
            }
            for item in work {
                do {
                    let endpoint: String
                    switch item {
                    case .stream(_, let uuid, _, _, _), .events(_, let uuid): endpoint = uuid
                    }
                    if hostnames[endpoint].map({ $0.until < .now }) ?? true {
                        if hostnames.count >= 10_000 { hostnames.removeAll() }
                        hostnames[endpoint] = (try await endpoints.endpoint(endpoint)?.hostname, .now + Self.hostnameLifetime)
                    }
                    try await export(item, hostname: hostnames[endpoint]?.name)
                } catch {
                    metrics.unread.increment()
                    logger.warning("OTLP export: could not read back what was received", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    private func export(_ work: Work, hostname: String?) async throws {
        switch work {
        case let .stream(run, endpoint, from, to, at):
            let session = try await runs.run(run)?.session
            let nanos = UInt64(at) * 1_000_000
            try await StreamLines(runs: runs).lines(of: run, from: from, to: to) { lines in
                enqueue(
                    lines.map { line in
                        var attributes: [(key: String, value: OTLPLogRecord.Value)] = [("lambda.run", .string(run))]
                        if let session { attributes.append(("lambda.session", .string(session))) }
                        if line.truncated { attributes.append(("lambda.truncated", .bool(true))) }
                        return OTLPLogRecord(
                            endpoint: endpoint,
                            hostname: hostname,
                            timeUnixNano: nanos,
                            observedTimeUnixNano: nanos,
                            body: line.text,
                            attributes: attributes
                        )
                    }
                )
            }
        case let .events(events, endpoint):
            var records: [OTLPLogRecord] = []
            for event in events {
                var attributes: [(key: String, value: OTLPLogRecord.Value)] = [
                    ("lambda.event.kind", .string(event.kind)), ("lambda.event.id", .string(event.id)),
                ]
                if let filePath = event.run, let run = try await runs.run(endpoint: endpoint, filePath: filePath) {
                    attributes.append(("lambda.run", .string(run.id)))
                    if let session = run.session { attributes.append(("lambda.session", .string(session))) }
                }
                let body = (try? PlatformJSON.encoded(EventRoutes.View(event))).map { String(decoding: $0, as: UTF8.self) } ?? event.detail
                records.append(
                    OTLPLogRecord(
                        endpoint: endpoint,
                        hostname: hostname,
                        timeUnixNano: UInt64(max(event.at, 0)) * 1_000_000,
                        observedTimeUnixNano: UInt64(max(event.receivedAt, 0)) * 1_000_000,
                        body: body,
                        attributes: attributes
                    )
                )
            }
            enqueue(records)
        }
    }

    private func enqueue(_ records: [OTLPLogRecord]) {
        let dropped = queue.append(records)
        if dropped > 0 { sender.dropped(dropped) }
        metrics.queued.set(Int64(queue.count))
        sender.wake()
    }
}
