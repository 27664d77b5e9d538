import Foundation
import Logging
import NIOCore

/// What the delivery of one run reads: how much of the run file the tracer has written,
/// and, once it has exited, its code and stderr.
public struct DeliveryProgress: Sendable, Equatable {
    public var bytesWritten: Int64
    public var exit: TracerExit?

    public init(bytesWritten: Int64, exit: TracerExit?) {
        self.bytesWritten = bytesWritten
        self.exit = exit
    }
}

public struct TracerExit: Sendable, Equatable, Codable {
    /// Exit status, or 128 + signal number when a signal ended the tracer.
    public var code: Int32
    public var stderr: String

    public init(code: Int32, stderr: String) {
        self.code = code
        self.stderr = stderr
    }
}

/// How far a run's delivery has come: what is persisted at every acknowledgement and
/// what a restarted endpoint resumes from.
public struct DeliveryCursor: Sendable, Equatable, Codable {
    public var startAcknowledged = false
    /// Chunks the platform acknowledged (or refused for good): the next chunk's `no`.
    public var chunksAcknowledged = 0
    /// Bytes of the run file covered by those chunks: the next chunk's offset.
    public var bytesAcknowledged: Int64 = 0
    public var finishedAcknowledged = false
    public var retries = 0
    /// Messages the platform refused with a status that is not retried.
    public var refusedMessages = 0
    public var lastError: String?

    public init() {}
}

/// Streams one run's file to the platform: `start`, chunks `no = 0, 1, ...` of exactly
/// `chunkSize` bytes (the last may be shorter; with a flush interval, a chunk is also
/// sent short when no full one arrived for that long), then `finished`. One message in
/// flight, in order; a retried chunk carries the same `no` and bytes. The file, not the
/// pipe, is the source: a slow or absent platform never stalls the tracer, and memory
/// holds one chunk whatever the run's size.
public struct RunDelivery: Sendable {
    public let trace: String
    public let filePath: String
    public let chunkSize: Int
    public let flushInterval: Duration?
    public let client: PlatformClient
    public let retryPolicy: RetryPolicy
    let logger: Logger

    public init(trace: String, filePath: String, chunkSize: Int, flushInterval: Duration?, client: PlatformClient, retryPolicy: RetryPolicy, logger: Logger) {
        self.trace = trace
        self.filePath = filePath
        self.chunkSize = chunkSize
        self.flushInterval = flushInterval
        self.client = client
        self.retryPolicy = retryPolicy
        var logger = logger
        logger[metadataKey: "trace.path"] = "\(trace)"
        self.logger = logger
    }

    /// Runs from `cursor` until `finished` is acknowledged (or refused for good).
    /// `progress` is signalled whenever the file grew or the tracer exited; `current`
    /// reads the latest state; `record` gets the cursor after every change and is
    /// awaited before the next message (the caller persists it).
    public func run(
        from cursor: DeliveryCursor,
        progress: ProgressSignal,
        current: @Sendable () -> DeliveryProgress,
        record: @Sendable (DeliveryCursor) async -> Void
    ) async throws {
        var cursor = cursor
        let file = try RunFileReader(path: filePath, capacity: chunkSize)
        let bodies = SubmitBody(trace: trace)
        if !cursor.startAcknowledged {
            try await deliver(bodies.start(), cursor: &cursor, record: record, metadata: [:])
            cursor.startAcknowledged = true
            await record(cursor)
        }
        var lastSend = ContinuousClock.now
        while true {
            let seen = progress.generation
            let now = current()
            var available = now.bytesWritten - cursor.bytesAcknowledged
            while available >= Int64(chunkSize) || (available > 0 && (now.exit != nil || flushDue(since: lastSend))) {
                let length = Int(min(available, Int64(chunkSize)))
                let no = cursor.chunksAcknowledged
                let body = bodies.chunk(no: no, bytes: try file.read(offset: cursor.bytesAcknowledged, length: length))
                try await deliver(body, cursor: &cursor, record: record, metadata: ["chunk.no": "\(no)"])
                cursor.chunksAcknowledged += 1
                cursor.bytesAcknowledged += Int64(length)
                available -= Int64(length)
                await record(cursor)
                lastSend = ContinuousClock.now
            }
            if let exit = now.exit, cursor.bytesAcknowledged == now.bytesWritten {
                try await deliver(bodies.finished(stderr: exit.stderr, code: exit.code), cursor: &cursor, record: record, metadata: ["trace.code": "\(exit.code)"])
                cursor.finishedAcknowledged = true
                await record(cursor)
                return
            }
            // Wake for new bytes, or when a partial chunk becomes due, whichever is first.
            let flushDeadline = flushInterval.flatMap { available > 0 ? $0 - (ContinuousClock.now - lastSend) : nil }
            await progress.wait(after: seen, timeout: flushDeadline.map { max($0, .milliseconds(1)) })
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
    func deliver(_ body: ByteBuffer, cursor: inout DeliveryCursor, record: @Sendable (DeliveryCursor) async -> Void, metadata: Logger.Metadata) async throws {
        var attempt = 0
        while true {
            try Task.checkCancellation()
            let verdict: RetryPolicy.Verdict
            do {
                let answer = try await client.send(body)
                verdict = RetryPolicy.classify(status: answer.status, retryAfter: answer.retryAfter)
                if case .retry = verdict { cursor.lastError = "platform answered \(answer.status)" }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                verdict = .retry(retryAfter: nil)
                cursor.lastError = "cannot reach the platform: \(error)"
            }
            switch verdict {
            case .acknowledged:
                return
            case .permanent(let status):
                cursor.refusedMessages += 1
                cursor.lastError = "platform refused a message with \(status); not retried"
                await record(cursor)
                logger.error("Platform refused a submit message; not retried", metadata: metadata.merging(["http.status": "\(status)"]) { $1 })
                return
            case .retry(let retryAfter):
                attempt += 1
                cursor.retries += 1
                await record(cursor)
                let pause = retryPolicy.delay(attempt: attempt, retryAfter: retryAfter, random: Double.random(in: 0..<1))
                logger.warning("Submit failed; retrying", metadata: metadata.merging([
                    "delivery.error": "\(cursor.lastError ?? "")", "delivery.attempt": "\(attempt)", "delivery.pause_ms": "\(pause.components.seconds * 1000 + pause.components.attoseconds / 1_000_000_000_000_000)",
                ]) { $1 })
                try await Task.sleep(for: pause)
            }
        }
    }
}
