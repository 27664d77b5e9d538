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

    /// Runs from `cursor` until `finished` is acknowledged (or refused for good).
    /// `progress` is signalled whenever the file grew (its level: the bytes written) or its
    /// writer finished; `current` reads the latest state. `record` gets the cursor after
    /// every change, awaited before the next message, and answers whether it was kept
    /// (false: a persist it was asked for failed); `durable` asks the caller to persist
    /// it too: always for start, finished, retries, refusals and short chunks, and for
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

    /// Drives a `DeliveryStateMachine`: carries out each action it returns and feeds it
    /// what came of it.
    func stream(
        from cursor: DeliveryCursor,
        progress: ProgressSignal,
        current: @Sendable () -> WrittenOutput,
        unreadable: @Sendable (String) -> Void,
        record: @Sendable (_ cursor: DeliveryCursor, _ durable: Bool) async -> Bool
    ) async throws {
        var machine = DeliveryStateMachine(
            cursor: cursor,
            chunkSize: chunkSize,
            flushInterval: flushInterval,
            retryPolicy: retryPolicy,
            releasesAcknowledgedOutput: releasesAcknowledgedOutput,
            durableCursorInterval: Self.durableCursorInterval,
            now: .now
        )
        let file = RunFileChunks(path: filePath, chunkSize: chunkSize, releasing: releasesAcknowledgedOutput)
        var inFlight = (body: ByteBuffer(), metadata: Logger.Metadata())
        var seen = progress.generation
        var action = machine.start(at: .now)
        while true {
            switch action {
            case .stop:
                return
            case .readOutput:
                seen = progress.generation
                action = machine.outputRead(current(), at: .now)
            case .waitForOutput(let mark, let timeout):
                await progress.wait(after: seen, until: mark, timeout: timeout)
                try Task.checkCancellation()
                action = .readOutput
            case .send(let message, let readAhead):
                do {
                    inFlight = (try file.body(of: message), Self.metadata(of: message))
                } catch {
                    logger.error("Run file unreadable; stopping the tracer", metadata: ["delivery.error": "\(error)"])
                    unreadable("\(error)")
                    action = machine.chunkUnreadable("\(error)", at: .now)
                    continue
                }
                action = machine.answered(
                    try await attempt(inFlight.body, readingAhead: readAhead, from: file),
                    at: .now,
                    random: Double.random(in: 0..<1)
                )
            case .sendAgain:
                action = machine.answered(try await attempt(inFlight.body, readingAhead: nil, from: file), at: .now, random: Double.random(in: 0..<1))
            case .record(let cursor, let durable):
                action = machine.recorded(kept: await record(cursor, durable), at: .now)
            case .recordRefusal(let cursor, let status):
                let kept = await record(cursor, true)
                logger.error(
                    "Platform refused a submit message; not retried",
                    metadata: inFlight.metadata.merging(["http.status": "\(status)"]) { $1 }
                )
                action = machine.recorded(kept: kept, at: .now)
            case .release(let offset):
                file.release(before: offset)
                action = machine.released(at: .now)
            case .pause(let backoff, let attempt, let reason):
                logger.warning(
                    "Submit failed; retrying",
                    metadata: inFlight.metadata.merging([
                        "delivery.error": "\(reason)", "delivery.attempt": "\(attempt)",
                        "delivery.pause_ms": "\(backoff.components.seconds * 1000 + backoff.components.attoseconds / 1_000_000_000_000_000)",
                    ]) { $1 }
                )
                try await pause(backoff)
                action = machine.pauseEnded(at: .now)
            }
        }
    }

    /// Sends `body` once; with `readAhead`, reads and encodes that chunk while the body
    /// is on the wire.
    private func attempt(
        _ body: ByteBuffer,
        readingAhead readAhead: DeliveryStateMachine.Chunk?,
        from file: RunFileChunks
    ) async throws -> DeliveryStateMachine.Outcome {
        try Task.checkCancellation()
        guard let readAhead else { return try await send(body) }
        async let outcome = send(body)
        // The send runs on this same thread: let it write its request first, so the
        // reading overlaps the platform's work on it.
        await Task.yield()
        file.readAhead(readAhead)
        return try await outcome
    }

    /// A thrown error is no answer at all, but cancellation, which ends the delivery.
    private func send(_ body: ByteBuffer) async throws -> DeliveryStateMachine.Outcome {
        do {
            return .answered(try await client.send(body))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            return .unreachable("\(error)")
        }
    }

    static func metadata(of message: DeliveryStateMachine.Message) -> Logger.Metadata {
        switch message {
        case .start: return [:]
        case .chunk(let chunk): return ["chunk.no": "\(chunk.no)"]
        case .finished(let report): return ["trace.code": "\(report.code)"]
        }
    }
}
