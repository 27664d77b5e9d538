import EndpointStorage
import Foundation
import Logging
import NIOCore
import PlatformWire
import Runs
import ServiceLifecycle
import Submitter

/// The event outbox's sending side (docs/fleet.md, "Events"): `POST <platform-url>/events`
/// with a JSON array of the oldest `EndpointEvent.maxPerPost` recorded events, signed as
/// every request (`PlatformClient`), push and pull endpoints alike. Woken by every event
/// the `EventRecorder` records, and at start for what an earlier life left.
///
/// 2xx: the batch's rows go. No answer, 5xx, 408 and 429: retried with the backoff of
/// `/submit` and the result outbox (`RetryPolicy`: jitter, `Retry-After` honoured).
/// Another 4xx says the batch will never be accepted: logged once, dropped and counted
/// (`lambda_events_dropped_total{reason="refused"}`), so it never holds later events back.
/// Graceful shutdown (after the supervisor's: `buildApplication` orders them) ends it with
/// one last round bounded by `lastRound`; what is unsent waits for the next start.
struct EventSender: Service {
    let recorder: EventRecorder
    let client: PlatformClient
    let retryPolicy: RetryPolicy
    /// Recorded when the service starts.
    let startEvent: EndpointEvent
    let logger: Logger

    /// How long graceful shutdown gives the last round (the events of the runs it stopped).
    static let lastRound: Duration = .seconds(3)

    func run() async throws {
        await recorder.record(startEvent)
        await cancelWhenGracefulShutdown { await sendForever() }
        await sendPending(until: .now + Self.lastRound)
    }

    /// Posts what is pending until none is, the platform fails one batch, or `deadline`.
    func sendPending(until deadline: ContinuousClock.Instant) async {
        defer { recorder.setInFlight(through: nil) }
        while ContinuousClock.now < deadline {
            recorder.setInFlight(through: .max)
            guard let batch = try? await recorder.database.pendingEvents(limit: EndpointEvent.maxPerPost), let last = batch.last else { return }
            recorder.setInFlight(through: last.seq)
            let seconds = max(1, Int64((deadline - ContinuousClock.now).components.seconds))
            guard let status = await post(batch, timeoutSeconds: seconds)?.status, (200..<300).contains(status) else { return }
            await remove(batch)
            recorder.metrics.eventsSent(batch.count)
        }
    }

    /// Posts batches until cancelled.
    func sendForever() async {
        let wake = recorder.recordedSignal
        var failures = 0
        while !Task.isCancelled {
            let seen = wake.generation
            defer { recorder.setInFlight(through: nil) }
            let batch: [PendingEvent]
            do {
                recorder.setInFlight(through: .max)
                batch = try await recorder.database.pendingEvents(limit: EndpointEvent.maxPerPost)
            } catch {
                logger.error("Cannot read the events to send", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(5))
                continue
            }
            guard let last = batch.last else {
                recorder.setInFlight(through: nil)
                await withTaskCancellationHandler {
                    await wake.wait(after: seen, timeout: nil)
                } onCancel: {
                    wake.signal()
                }
                continue
            }
            recorder.setInFlight(through: last.seq)
            let answer = await post(batch)
            switch answer?.status {
            case .some(200..<300):
                failures = 0
                await remove(batch)
                recorder.metrics.eventsSent(batch.count)
            case .some(let status) where (400..<500).contains(status) && status != 408 && status != 429:
                failures = 0
                logger.error(
                    "Dropped events the platform refused",
                    metadata: ["http.status": "\(status)", "event.count": "\(batch.count)", "event.first-id": "\(batch[0].event.id)"]
                )
                await remove(batch)
                recorder.metrics.eventsDropped(batch.count, .refused)
            default:
                failures += 1
                if failures == 1 {
                    logger.warning(
                        "Cannot post events to the platform; retrying",
                        metadata: ["http.status": "\(answer.map { String($0.status) } ?? "none")", "event.count": "\(batch.count)"]
                    )
                }
                recorder.setInFlight(through: nil)
                let retryAfter = answer?.retryAfter.flatMap(RetryPolicy.parseRetryAfter)
                try? await Task.sleep(for: retryPolicy.delay(attempt: failures, retryAfter: retryAfter, random: Double.random(in: 0...1)))
            }
        }
    }

    private func remove(_ batch: [PendingEvent]) async {
        do {
            try await recorder.database.removeEvents(seqs: batch.map(\.seq))
        } catch {
            // Sent again later: the platform keeps each id once.
            logger.error("Cannot remove sent events", metadata: ["error": "\(error)"])
        }
    }

    /// One `POST /events`; nil without an answer (connection refused, reset, timeout).
    private func post(_ batch: [PendingEvent], timeoutSeconds: Int64? = nil) async -> PlatformAnswer? {
        // An EndpointEvent always encodes (strings and JSONValues).
        guard let body = try? PullControl.encoder.encode(batch.map(\.event)) else { return PlatformAnswer(status: 400) }
        return try? await client.request(.POST, "/events", body: ByteBuffer(bytes: body), keepingBodyUpTo: 64 * 1024, timeoutSeconds: timeoutSeconds)
    }
}
