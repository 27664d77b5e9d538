import Foundation
import Logging
import NIOCore
import PlatformWire

/// Streams one run's file to the platform: `start`, chunks `no = 0, 1, ...` of exactly
/// `chunkSize` bytes (the last may be shorter; with a flush interval, a chunk is also
/// sent short when no full one arrived for that long), then `finished`. One message in
/// flight, in order; a retried chunk carries the same `no` and bytes. The file, not the
/// pipe, is the source: a slow or absent platform never stalls the tracer, and memory
/// holds two chunks (the one on the wire, the next one encoded meanwhile) whatever the
/// run's size.
public struct RunDelivery: Sendable {
    public let filePath: String
    public let chunkSize: Int
    public let flushInterval: Duration?
    public let client: any SubmitTransport
    public let retryPolicy: RetryPolicy
    /// Give the disk blocks of acknowledged output back as the delivery goes (only when
    /// run files are not kept): a long run then holds on disk what is unacknowledged.
    public let releasesAcknowledgedOutput: Bool
    /// Waits out a retry's backoff: `Task.sleep` but in tests, which record the pauses
    /// and return at once (a backoff test then takes milliseconds, not seconds).
    let pause: @Sendable (Duration) async throws -> Void
    let logger: Logger

    /// How stale the durable cursor may get while chunks stream. Writing it at every
    /// acknowledgement cost a database transaction per chunk (a third of the endpoint's
    /// time per 51200-byte chunk); after a crash the chunks acknowledged in this window
    /// are sent again, with the same `no` and bytes: duplicates, never a gap.
    public static let durableCursorInterval: Duration = .milliseconds(200)

    public init(
        filePath: String,
        chunkSize: Int,
        flushInterval: Duration?,
        client: any SubmitTransport,
        retryPolicy: RetryPolicy,
        releasesAcknowledgedOutput: Bool = false,
        logger: Logger,
        pause: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.pause = pause
        self.filePath = filePath
        self.chunkSize = chunkSize
        self.flushInterval = flushInterval
        self.client = client
        self.retryPolicy = retryPolicy
        self.releasesAcknowledgedOutput = releasesAcknowledgedOutput
        var logger = logger
        logger[metadataKey: "trace.path"] = "\(filePath)"
        self.logger = logger
    }

    /// A chunk read and encoded, ready to send.
    struct PreparedChunk {
        let no: Int
        let offset: Int64
        let length: Int
        let body: ByteBuffer
    }

    /// Runs from `cursor` until `finished` is acknowledged (or refused for good).
    /// `progress` is signalled whenever the file grew (its level: the bytes written) or its
    /// writer finished; `current` reads the latest state. `record` gets the cursor after
    /// every change, awaited before the next message, and answers whether it was kept;
    /// `durable` asks the caller to persist it too (false back: not persisted): always for start, finished, retries, refusals and short chunks, and for
    /// chunk acknowledgements at least every `durableCursorInterval`, also while the
    /// delivery waits for more output (then once the position is that old). `unreadable`
    /// hears once that the file cannot give the bytes its writer wrote (removed,
    /// truncated): the caller stops the writer, and `finished` goes out as soon as
    /// `current` reports it, its stderr saying what could not be sent.
    ///
    /// On the delivery thread (`DeliveryExecutor`), whoever calls it: with the platform's
    /// connections there, a chunk is sent, acknowledged and the next one read without a
    /// thread switch.
    public func run(
        from cursor: DeliveryCursor,
        progress: ProgressSignal,
        current: @Sendable () -> WrittenOutput,
        unreadable: @Sendable (String) -> Void = { _ in },
        record: @Sendable (_ cursor: DeliveryCursor, _ durable: Bool) async -> Bool
    ) async throws {
        try await withTaskExecutorPreference(DeliveryExecutor.shared) {
            try await stream(from: cursor, progress: progress, current: current, unreadable: unreadable, record: record)
        }
    }

    func stream(
        from cursor: DeliveryCursor,
        progress: ProgressSignal,
        current: @Sendable () -> WrittenOutput,
        unreadable: @Sendable (String) -> Void,
        record: @Sendable (_ cursor: DeliveryCursor, _ durable: Bool) async -> Bool
    ) async throws {
        var cursor = cursor
        // Acknowledged before a crash that came before the run was retired.
        if cursor.finishedAcknowledged { return }
        // Opened at the first chunk: a run with nothing left to send (its file lost while
        // the endpoint was down) never needs it, and a waiting run holds no descriptor.
        var file: RunFileReader?
        var unreadableReason: String?
        let bodies = SubmitBody(filePath: filePath)
        func prepare(no: Int, offset: Int64, length: Int) throws -> PreparedChunk {
            let reader = try file ?? RunFileReader(path: filePath, capacity: chunkSize, releasing: releasesAcknowledgedOutput)
            file = reader
            return PreparedChunk(
                no: no,
                offset: offset,
                length: length,
                body: bodies.chunk(no: no, bytes: try reader.read(offset: offset, length: length))
            )
        }
        // The acknowledged bytes are given back only once their position is durable: a
        // crash after a punch whose cursor write failed would resend the zeros it left.
        func persist(_ cursor: DeliveryCursor) async {
            if await record(cursor, true), releasesAcknowledgedOutput { file?.release(before: cursor.bytesAcknowledged) }
        }
        if !cursor.startAcknowledged {
            cursor = try await deliver(bodies.start(), cursor: cursor, record: record, metadata: [:])
            cursor.startAcknowledged = true
            _ = await record(cursor, true)
        }
        var lastSend = ContinuousClock.now
        var lastDurable = ContinuousClock.now
        var prepared: PreparedChunk?
        while true {
            let seen = progress.generation
            let now = current()
            var available = now.bytesWritten - cursor.bytesAcknowledged
            while unreadableReason == nil,
                available >= Int64(chunkSize) || (available > 0 && (now.finished != nil || flushDue(since: lastSend)))
            {
                let length = cursor.shortChunkLength.map { min($0, Int(min(available, Int64(chunkSize)))) } ?? Int(min(available, Int64(chunkSize)))
                if length < chunkSize, cursor.shortChunkLength != length {
                    cursor.shortChunkLength = length
                    _ = await record(cursor, true)
                }
                let chunk: PreparedChunk
                do {
                    if let ready = prepared, ready.offset == cursor.bytesAcknowledged, ready.length == length {
                        chunk = ready
                    } else {
                        chunk = try prepare(no: cursor.chunksAcknowledged, offset: cursor.bytesAcknowledged, length: length)
                    }
                } catch {
                    unreadableReason = "\(error)"
                    logger.error("Run file unreadable; stopping the tracer", metadata: ["delivery.error": "\(error)"])
                    unreadable("\(error)")
                    break
                }
                prepared = nil
                // While this chunk is on the wire, read and encode the next one if it is
                // already whole (or the tracer is done): the endpoint's work then overlaps
                // the platform's instead of adding to each round trip.
                let rest = available - Int64(length)
                let before = cursor
                async let acknowledged = deliver(chunk.body, cursor: before, record: record, metadata: ["chunk.no": "\(chunk.no)"])
                if rest >= Int64(chunkSize) || (rest > 0 && now.finished != nil) {
                    // The send runs on this same thread: let it write its request first,
                    // so the reading overlaps the platform's work on it.
                    await Task.yield()
                    prepared = try? prepare(no: chunk.no + 1, offset: chunk.offset + Int64(length), length: Int(min(rest, Int64(chunkSize))))
                }
                cursor = try await acknowledged
                cursor.chunksAcknowledged += 1
                cursor.bytesAcknowledged += Int64(length)
                let wasShort = cursor.shortChunkLength != nil
                cursor.shortChunkLength = nil
                available = rest
                lastSend = ContinuousClock.now
                if wasShort || lastSend - lastDurable >= Self.durableCursorInterval {
                    lastDurable = lastSend
                    await persist(cursor)
                } else {
                    _ = await record(cursor, false)
                }
            }
            if let finished = now.finished, unreadableReason != nil || cursor.bytesAcknowledged >= now.bytesWritten {
                var stderr = finished.stderr
                if let unreadableReason {
                    let lost = max(0, now.bytesWritten - cursor.bytesAcknowledged)
                    stderr +=
                        "\n[lambda-endpoint: \(unreadableReason); the \(lost) bytes of output after byte \(cursor.bytesAcknowledged) could not be sent]\n"
                }
                cursor = try await deliver(
                    bodies.finished(stderr: stderr, code: finished.code),
                    cursor: cursor,
                    record: record,
                    metadata: ["trace.code": "\(finished.code)"]
                )
                cursor.finishedAcknowledged = true
                _ = await record(cursor, true)
                return
            }
            // Caught up: the position becomes durable once it is `durableCursorInterval`
            // old. A real tracer writes slower than the platform takes it, so the delivery
            // catches up after nearly every chunk: persisting then was a database
            // transaction (and a hole punch) per chunk, 7 % of the endpoint's CPU.
            var durableDeadline: Duration?
            if lastDurable < lastSend {
                let age = ContinuousClock.now - lastDurable
                if age >= Self.durableCursorInterval {
                    lastDurable = ContinuousClock.now
                    await persist(cursor)
                } else {
                    durableDeadline = Self.durableCursorInterval - age
                }
            }
            // Wake for new bytes, when a partial chunk becomes due, or when the position
            // is due to be made durable, whichever is first.
            let flushDeadline = flushInterval.flatMap { available > 0 ? $0 - (ContinuousClock.now - lastSend) : nil }
            let timeout = [flushDeadline, durableDeadline].compactMap { $0 }.min()
            // Woken by the tracer's exit, or once a whole chunk is written: not by every
            // block its reader writes before that. With a flush interval and nothing
            // pending, the first new byte wakes it instead, to start the flush timer: with
            // only the whole-chunk mark, a slow trace's lines sat in the file until the run
            // ended (first_event_latency_ms 3,825 ms instead of a few).
            let mark = flushInterval != nil && available == 0 ? cursor.bytesAcknowledged + 1 : cursor.bytesAcknowledged + Int64(chunkSize)
            await progress.wait(after: seen, until: mark, timeout: timeout.map { max($0, .milliseconds(1)) })
            try Task.checkCancellation()
        }
    }

    func flushDue(since lastSend: ContinuousClock.Instant) -> Bool {
        guard let flushInterval else { return false }
        return ContinuousClock.now - lastSend >= flushInterval
    }

    /// Sends one message until the platform acknowledges it, retrying per
    /// `retryPolicy`. A permanent refusal is logged and counted, and the message is not
    /// sent again.
    func deliver(
        _ body: ByteBuffer,
        cursor: DeliveryCursor,
        record: @Sendable (DeliveryCursor, Bool) async -> Bool,
        metadata: Logger.Metadata
    ) async throws -> DeliveryCursor {
        var cursor = cursor
        var attempt = 0
        while true {
            try Task.checkCancellation()
            let verdict: RetryPolicy.Verdict
            do {
                let answer = try await client.send(body)
                cursor.lastStatusCode = answer.status
                verdict = RetryPolicy.classify(status: answer.status, retryAfter: answer.retryAfter)
                if case .retry = verdict { cursor.lastDeliveryError = "platform answered \(answer.status)" }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                verdict = .retry(retryAfter: nil)
                cursor.lastDeliveryError = "cannot reach the platform: \(error)"
            }
            switch verdict {
            case .acknowledged:
                return cursor
            case .permanent(let status):
                cursor.refusedMessages += 1
                cursor.lastDeliveryError = "platform refused a message with \(status); not retried"
                _ = await record(cursor, true)
                logger.error("Platform refused a submit message; not retried", metadata: metadata.merging(["http.status": "\(status)"]) { $1 })
                return cursor
            case .retry(let retryAfter):
                attempt += 1
                cursor.retries += 1
                _ = await record(cursor, true)
                let backoff = retryPolicy.delay(attempt: attempt, retryAfter: retryAfter, random: Double.random(in: 0..<1))
                logger.warning(
                    "Submit failed; retrying",
                    metadata: metadata.merging([
                        "delivery.error": "\(cursor.lastDeliveryError ?? "")", "delivery.attempt": "\(attempt)",
                        "delivery.pause_ms": "\(backoff.components.seconds * 1000 + backoff.components.attoseconds / 1_000_000_000_000_000)",
                    ]) { $1 }
                )
                try await pause(backoff)
            }
        }
    }
}
