import PlatformWire

/// One run's delivery as a value: events in (the output read, the platform's answer, a
/// cursor recorded, a pause over), actions out (send, record, release, pause, wait), no
/// I/O and no clock of its own (after async-http-client's `RequestBag.StateMachine`).
/// `RunDelivery` drives it: it carries out each action and feeds back what came of it,
/// with the time.
///
///     start ─▶ (send start) ─▶ read output ─▶ send chunk N ─▶ record ─▶ [release] ─┐
///                                  ▲               ▲                              │
///                                  │               └──── the next chunk is due ◀──┤
///                                  └──── wait for bytes, a flush or the durable ◀─┤
///                                        position                                 │
///                 stop ◀── record ◀── send finished ◀── the writer is done ◀─────┘
///
/// A send the platform does not acknowledge is recorded, paused on and sent again
/// (`RetryPolicy`); one it refuses for good is recorded and counted, and the delivery
/// goes on as if it were acknowledged. Each action is answered by exactly one event:
/// `.send` and `.sendAgain` by `answered`, `.record` and `.recordRefusal` by `recorded`,
/// `.release` by `released`, `.pause` by `pauseEnded`, `.readOutput` and
/// `.waitForOutput` by `outputRead`; a chunk that cannot be read is `chunkUnreadable`.
/// One driver feeds it, in that order: any other event is a bug, and stops the process.
struct DeliveryStateMachine: Sendable {
    /// Where one chunk lies in the run file, and its `no`.
    struct Chunk: Equatable, Sendable {
        let no: Int
        let offset: Int64
        let length: Int
    }

    enum Message: Equatable, Sendable {
        case start
        case chunk(Chunk)
        case finished(FinishedReport)
    }

    /// What came of one attempt to send a message.
    enum Outcome: Equatable, Sendable {
        case answered(PlatformAnswer)
        /// No answer at all (connection refused, reset, timeout): why.
        case unreachable(String)
    }

    enum Action: Equatable, Sendable {
        /// Send `message` once. `readAhead`: read and encode that chunk while this one is
        /// on the wire (it is whole, or the writer is done), so the endpoint's work
        /// overlaps the platform's instead of adding to each round trip.
        case send(Message, readAhead: Chunk?)
        /// Send the message in flight again, the same bytes.
        case sendAgain
        /// Hand the cursor to the caller; `durable`: persist it too.
        case record(DeliveryCursor, durable: Bool)
        /// Persist the cursor, and log that the platform refused the message in flight.
        case recordRefusal(DeliveryCursor, status: Int)
        /// Give the disk blocks before `offset` back: their position is durable.
        case release(before: Int64)
        /// Wait out a retry's backoff (`attempt` is 1 for the first retry, `reason` the
        /// cursor's last delivery error), then send again.
        case pause(Duration, attempt: Int, reason: String)
        /// Read what the writer has written.
        case readOutput
        /// Wait until the written bytes reach `mark`, the writer finishes or `timeout`
        /// passes (nil: no limit), then read what it has written.
        case waitForOutput(mark: Int64, timeout: Duration?)
        /// `finished` is acknowledged (or was before this delivery began).
        case stop
    }

    /// What comes once a cursor is recorded.
    private enum Next: Equatable, Sendable {
        case readOutput
        case send(Chunk)
        case pause(Message, attempt: Int, backoff: Duration)
        case messageDone(Message)
        case nextChunk
        case waitForOutput
        case stop
    }

    private enum Phase: Equatable, Sendable {
        case idle
        case reading
        case sending(Message, attempt: Int)
        case recording(then: Next, releaseIfKept: Bool)
        case releasing(then: Next)
        case pausing(Message, attempt: Int)
        case stopped
    }

    let chunkSize: Int
    let flushInterval: Duration?
    let retryPolicy: RetryPolicy
    let releasesAcknowledgedOutput: Bool
    /// How stale the durable cursor may get while chunks stream (`RunDelivery`).
    let durableCursorInterval: Duration

    private(set) var cursor: DeliveryCursor
    /// Why the run file cannot give the bytes its writer wrote; no chunk is read after.
    private(set) var unreadableReason: String?
    private var phase = Phase.idle
    /// The writer's output as last read: the chunks sent before the next read are cut
    /// from it.
    private var output = WrittenOutput(bytesWritten: 0, finished: nil)
    private var lastSend: ContinuousClock.Instant
    private var lastDurable: ContinuousClock.Instant

    init(
        cursor: DeliveryCursor,
        chunkSize: Int,
        flushInterval: Duration?,
        retryPolicy: RetryPolicy,
        releasesAcknowledgedOutput: Bool,
        durableCursorInterval: Duration,
        now: ContinuousClock.Instant
    ) {
        self.cursor = cursor
        self.chunkSize = chunkSize
        self.flushInterval = flushInterval
        self.retryPolicy = retryPolicy
        self.releasesAcknowledgedOutput = releasesAcknowledgedOutput
        self.durableCursorInterval = durableCursorInterval
        lastSend = now
        lastDurable = now
    }

    // MARK: Events

    /// The first event: sends `start` unless it was acknowledged before a restart, and
    /// nothing at all once `finished` was.
    mutating func start(at now: ContinuousClock.Instant) -> Action {
        precondition(phase == .idle, "start(at:) in \(phase)")
        // Acknowledged before a crash that came before the run was retired.
        if cursor.finishedAcknowledged { return proceed(.stop, at: now) }
        if !cursor.startAcknowledged { return send(.start) }
        return proceed(.readOutput, at: now)
    }

    mutating func outputRead(_ written: WrittenOutput, at now: ContinuousClock.Instant) -> Action {
        precondition(phase == .reading, "outputRead in \(phase)")
        output = written
        return nextChunk(at: now)
    }

    /// `random`: a uniform draw from [0, 1) for the backoff's jitter, taken only for a
    /// retry (a draw is a `getrandom` call: none per acknowledged chunk).
    mutating func answered(_ outcome: Outcome, at now: ContinuousClock.Instant, random: @autoclosure () -> Double) -> Action {
        guard case .sending(let message, let attempt) = phase else { preconditionFailure("answered in \(phase)") }
        let verdict: RetryPolicy.Verdict
        switch outcome {
        case .answered(let answer):
            cursor.lastStatusCode = answer.status
            verdict = RetryPolicy.classify(status: answer.status, retryAfter: answer.retryAfter)
            if case .retry = verdict { cursor.lastDeliveryError = "platform answered \(answer.status)" }
        case .unreachable(let reason):
            verdict = .retry(retryAfter: nil)
            cursor.lastDeliveryError = "cannot reach the platform: \(reason)"
        }
        switch verdict {
        case .acknowledged:
            return acknowledged(message, at: now)
        case .permanent(let status):
            cursor.refusedMessages += 1
            cursor.lastDeliveryError = "platform refused a message with \(status); not retried"
            phase = .recording(then: .messageDone(message), releaseIfKept: false)
            return .recordRefusal(cursor, status: status)
        case .retry(let retryAfter):
            cursor.retries += 1
            let backoff = retryPolicy.delay(attempt: attempt + 1, retryAfter: retryAfter, random: random())
            return record(durably: true, then: .pause(message, attempt: attempt + 1, backoff: backoff))
        }
    }

    /// `kept`: the caller's answer to a record, whether a durable write succeeded.
    mutating func recorded(kept: Bool, at now: ContinuousClock.Instant) -> Action {
        guard case .recording(let next, let releaseIfKept) = phase else { preconditionFailure("recorded in \(phase)") }
        // The acknowledged bytes are given back only once their position is durable: a
        // crash after a punch whose cursor write failed would resend the zeros it left.
        if releaseIfKept, kept, releasesAcknowledgedOutput {
            phase = .releasing(then: next)
            return .release(before: cursor.bytesAcknowledged)
        }
        return proceed(next, at: now)
    }

    mutating func released(at now: ContinuousClock.Instant) -> Action {
        guard case .releasing(let next) = phase else { preconditionFailure("released in \(phase)") }
        return proceed(next, at: now)
    }

    mutating func pauseEnded(at now: ContinuousClock.Instant) -> Action {
        guard case .pausing(let message, let attempt) = phase else { preconditionFailure("pauseEnded in \(phase)") }
        phase = .sending(message, attempt: attempt)
        return .sendAgain
    }

    /// The chunk `.send` asked for could not be read (the file was removed or
    /// truncated): no chunk is read again, and `finished`, once the writer is done, says
    /// what could not be sent.
    mutating func chunkUnreadable(_ reason: String, at now: ContinuousClock.Instant) -> Action {
        guard case .sending(.chunk, _) = phase else { preconditionFailure("chunkUnreadable in \(phase)") }
        unreadableReason = reason
        return afterChunks(at: now)
    }

    // MARK: Decisions

    private mutating func proceed(_ next: Next, at now: ContinuousClock.Instant) -> Action {
        switch next {
        case .readOutput:
            phase = .reading
            return .readOutput
        case .send(let chunk):
            return send(chunk)
        case .pause(let message, let attempt, let backoff):
            phase = .pausing(message, attempt: attempt)
            return .pause(backoff, attempt: attempt, reason: cursor.lastDeliveryError ?? "")
        case .messageDone(let message):
            return acknowledged(message, at: now)
        case .nextChunk:
            return nextChunk(at: now)
        case .waitForOutput:
            return waitForOutput(at: now, durableDeadline: nil)
        case .stop:
            phase = .stopped
            return .stop
        }
    }

    private mutating func record(durably durable: Bool, then next: Next, releaseIfKept: Bool = false) -> Action {
        phase = .recording(then: next, releaseIfKept: releaseIfKept)
        return .record(cursor, durable: durable)
    }

    private mutating func send(_ message: Message, readAhead: Chunk? = nil) -> Action {
        phase = .sending(message, attempt: 0)
        return .send(message, readAhead: readAhead)
    }

    /// The message is acknowledged, or refused for good: the cursor moves past it.
    private mutating func acknowledged(_ message: Message, at now: ContinuousClock.Instant) -> Action {
        switch message {
        case .start:
            cursor.startAcknowledged = true
            // The flush interval and the durable position count from here.
            lastSend = now
            lastDurable = now
            return record(durably: true, then: .readOutput)
        case .chunk(let chunk):
            cursor.chunksAcknowledged += 1
            cursor.bytesAcknowledged += Int64(chunk.length)
            let wasShort = cursor.shortChunkLength != nil
            cursor.shortChunkLength = nil
            lastSend = now
            guard wasShort || lastSend - lastDurable >= durableCursorInterval else { return record(durably: false, then: .nextChunk) }
            lastDurable = lastSend
            return record(durably: true, then: .nextChunk, releaseIfKept: true)
        case .finished:
            cursor.finishedAcknowledged = true
            return record(durably: true, then: .stop)
        }
    }

    private var available: Int64 { output.bytesWritten - cursor.bytesAcknowledged }

    /// Sends the next chunk if one is due: a whole one, or the rest once the writer is
    /// done or the flush interval passed since the last send.
    private mutating func nextChunk(at now: ContinuousClock.Instant) -> Action {
        let available = available
        let flushDue = flushInterval.map { now - lastSend >= $0 } ?? false
        guard unreadableReason == nil, available >= Int64(chunkSize) || (available > 0 && (output.finished != nil || flushDue)) else {
            return afterChunks(at: now)
        }
        let whole = Int(min(available, Int64(chunkSize)))
        // A chunk cut short before a restart is cut again at the same length.
        let length = cursor.shortChunkLength.map { min($0, whole) } ?? whole
        let chunk = Chunk(no: cursor.chunksAcknowledged, offset: cursor.bytesAcknowledged, length: length)
        if length < chunkSize, cursor.shortChunkLength != length {
            cursor.shortChunkLength = length
            return record(durably: true, then: .send(chunk))
        }
        return send(chunk)
    }

    private mutating func send(_ chunk: Chunk) -> Action {
        let rest = available - Int64(chunk.length)
        let readAhead =
            rest >= Int64(chunkSize) || (rest > 0 && output.finished != nil)
            ? Chunk(no: chunk.no + 1, offset: chunk.offset + Int64(chunk.length), length: Int(min(rest, Int64(chunkSize)))) : nil
        return send(.chunk(chunk), readAhead: readAhead)
    }

    /// No chunk is due: `finished` once every byte is sent (or can never be), else the
    /// position made durable if it is old enough, and a wait.
    private mutating func afterChunks(at now: ContinuousClock.Instant) -> Action {
        if let finished = output.finished, unreadableReason != nil || cursor.bytesAcknowledged >= output.bytesWritten {
            var report = finished
            if let unreadableReason {
                let lost = max(0, output.bytesWritten - cursor.bytesAcknowledged)
                report.stderr +=
                    "\n[lambda-endpoint: \(unreadableReason); the \(lost) bytes of output after byte \(cursor.bytesAcknowledged) could not be sent]\n"
            }
            return send(.finished(report))
        }
        // Caught up: the position becomes durable once it is `durableCursorInterval`
        // old. A real tracer writes slower than the platform takes it, so the delivery
        // catches up after nearly every chunk: persisting then was a database
        // transaction (and a hole punch) per chunk, 7 % of the endpoint's CPU.
        var durableDeadline: Duration?
        if lastDurable < lastSend {
            let age = now - lastDurable
            if age >= durableCursorInterval {
                lastDurable = now
                return record(durably: true, then: .waitForOutput, releaseIfKept: true)
            }
            durableDeadline = durableCursorInterval - age
        }
        return waitForOutput(at: now, durableDeadline: durableDeadline)
    }

    /// Wake for new bytes, when a partial chunk becomes due, or when the position is due
    /// to be made durable, whichever is first.
    private mutating func waitForOutput(at now: ContinuousClock.Instant, durableDeadline: Duration?) -> Action {
        let available = available
        let flushDeadline = flushInterval.flatMap { available > 0 ? $0 - (now - lastSend) : nil }
        let timeout = [flushDeadline, durableDeadline].compactMap { $0 }.min()
        // Woken by the writer finishing, or once a whole chunk is written: not by every
        // block written before that. With a flush interval and nothing pending, the first
        // new byte wakes it instead, to start the flush timer: with only the whole-chunk
        // mark, a slow trace's lines sat in the file until the run ended
        // (first_event_latency_ms 3,825 ms instead of a few).
        let mark = flushInterval != nil && available == 0 ? cursor.bytesAcknowledged + 1 : cursor.bytesAcknowledged + Int64(chunkSize)
        phase = .reading
        return .waitForOutput(mark: mark, timeout: timeout.map { max($0, .milliseconds(1)) })
    }
}
