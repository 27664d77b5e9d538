import Foundation
import Logging
import PlatformWire
import Submitter
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A run's delivery to the platform, and its retirement once `finished` is acknowledged.
extension RunSupervisor {
    /// Delivers `run` from its cursor until `finished` is acknowledged; persists the
    /// cursor at every acknowledgement and retires the run at the end.
    func deliver(_ run: TraceRun, chunkSize: Int) async {
        let delivery = RunDelivery(
            filePath: run.filePath,
            chunkSize: chunkSize,
            flushInterval: settings.flushInterval,
            client: client,
            retryPolicy: settings.retryPolicy,
            releasesAcknowledgedOutput: !settings.keepRunFiles,
            logger: logger
        )
        let runLogger = logger(for: run.filePath)
        let (database, budget, metrics, killGrace, retirements) = (database, budget, metrics, settings.killGrace, retirements)
        // Only the delivery's task calls `record`, one call at a time.
        let stall = Mutex(DeliveryStallWatch())
        do {
            try await delivery.run(
                from: run.cursor,
                progress: run.progress,
                current: { run.writtenOutput },
                unreadable: { reason in run.stop(grace: killGrace, reason: "stopped: \(reason)") },
                record: { cursor, durable in
                    let before = run.advance(to: cursor)
                    let acknowledged = cursor.bytesAcknowledged - before.bytesAcknowledged
                    budget.release(acknowledged)
                    metrics.delivered(bytes: acknowledged, chunks: cursor.chunksAcknowledged - before.chunksAcknowledged)
                    metrics.deliveryRetried(count: cursor.retries - before.retries)
                    metrics.deliveryRefused(count: cursor.refusedMessages - before.refusedMessages)
                    if Self.acknowledgedMore(cursor, than: before) {
                        stall.withLock { $0.acknowledged() }
                    } else if cursor.retries > before.retries, stall.withLock({ $0.failed(at: .now) }) {
                        await self.tellDeliveryStalled(run.filePath, cursor)
                    }
                    // A graceful stop waits for a suspended run's output (`isDoneForThisLife`).
                    if run.suspension != nil { retirements.signal() }
                    guard durable else { return true }
                    do {
                        try await database.recordDeliveryProgress(filePath: run.filePath, cursor: cursor)
                        return true
                    } catch {
                        runLogger.error("Cannot record delivery progress", metadata: ["error": "\(error)"])
                        return false
                    }
                }
            )
        } catch is CancellationError {
            return
        } catch {
            // Without a delivery nobody reads the output: stop the tracer too.
            runLogger.error("Delivery ended early; stopping the tracer", metadata: ["delivery.error": "\(error)"])
            run.stop(grace: settings.killGrace)
            return
        }
        await retire(run)
    }

    /// The platform acknowledged a message between `before` and `cursor`.
    static func acknowledgedMore(_ cursor: DeliveryCursor, than before: DeliveryCursor) -> Bool {
        cursor.chunksAcknowledged > before.chunksAcknowledged || cursor.startAcknowledged != before.startAcknowledged
            || cursor.finishedAcknowledged != before.finishedAcknowledged
    }

    /// `finished` was acknowledged: remember the outcome, drop the file (unless kept).
    func retire(_ run: TraceRun) async {
        guard runs.removeValue(forKey: run.filePath) != nil else { return }
        order.removeAll { $0 == run.filePath }
        // Into the finished list in the same step as out of the running one: a client that
        // saw /trace/running answer 404 finds the run in /traces/finished.
        let status = run.status
        history.append(status)
        if history.count > settings.historySize { history.removeFirst(history.count - settings.historySize) }
        defer { retirements.signal() }
        // In the database, the exit is recorded before the run is marked delivered.
        await exitHandlers.removeValue(forKey: run.filePath)?.value
        do {
            try await database.recordRunDelivered(filePath: run.filePath, keepFinished: settings.historySize)
        } catch {
            logger(for: run.filePath).error("Cannot record the delivered run", metadata: ["error": "\(error)"])
        }
        if !settings.keepRunFiles, run.ownsFile { unlink(run.filePath) }
        let outcome =
            switch status.exitCode {
            case 0: "ok"
            case TraceRun.unknownExitCode: "unknown"
            default: "failed"
            }
        metrics.runFinished(run.tracer, outcome: outcome)
        logger.info(
            "Trace delivered",
            metadata: [
                "trace.path": "\(run.filePath)", "trace.code": "\(status.exitCode.map(String.init) ?? "?")", "trace.outcome": "\(outcome)",
                "trace.bytes": "\(status.bytesRead)", "trace.chunks": "\(status.delivery.chunksAcknowledged)",
            ]
        )
    }
}
