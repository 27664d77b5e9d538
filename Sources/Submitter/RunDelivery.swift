import Foundation
import Logging

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

public struct TracerExit: Sendable, Equatable {
    /// Exit status, or 128 + signal number when a signal ended the tracer.
    public var code: Int32
    public var stderr: String

    public init(code: Int32, stderr: String) {
        self.code = code
        self.stderr = stderr
    }
}

/// Counters a run shows while it is delivered.
public struct DeliveryCounters: Sendable, Equatable {
    public var chunksAcknowledged = 0
    public var bytesAcknowledged: Int64 = 0
    public var retries = 0
    public var lastError: String?
    public var finishedAcknowledged = false

    public init() {}
}

/// Streams one run's file to the platform: `start`, chunks `no = 0, 1, ...` of exactly
/// `chunkSize` bytes (the last may be shorter; with a flush interval, a chunk is also
/// sent short when no full one arrived for that long), then `finished`. One message in
/// flight, in order. The file, not the pipe, is the source: a slow platform never
/// stalls the tracer.
public struct RunDelivery: Sendable {
    public let trace: String
    public let filePath: String
    public let chunkSize: Int
    public let flushInterval: Duration?
    public let client: PlatformClient
    /// Pause before re-sending a message that failed.
    public let retryDelay: Duration
    let logger: Logger

    public init(trace: String, filePath: String, chunkSize: Int, flushInterval: Duration?, client: PlatformClient, retryDelay: Duration = .seconds(1), logger: Logger) {
        self.trace = trace
        self.filePath = filePath
        self.chunkSize = chunkSize
        self.flushInterval = flushInterval
        self.client = client
        self.retryDelay = retryDelay
        var logger = logger
        logger[metadataKey: "trace.path"] = "\(trace)"
        self.logger = logger
    }

    /// Runs until `finished` is acknowledged (or refused). `progress` is signalled
    /// whenever the file grew or the tracer exited; `current` reads the latest state.
    public func run(
        progress: ProgressSignal,
        current: @Sendable () -> DeliveryProgress,
        counters: @Sendable (DeliveryCounters) -> Void
    ) async throws {
        var state = DeliveryCounters()
        let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: filePath))
        defer { try? file.close() }
        try await deliver(.start(trace: trace), state: &state, counters: counters, metadata: [:])

        var offset: Int64 = 0
        var lastSend = ContinuousClock.now
        while true {
            let seen = progress.generation
            let now = current()
            var available = now.bytesWritten - offset
            while available >= Int64(chunkSize) || (available > 0 && (now.exit != nil || flushDue(since: lastSend))) {
                let length = Int(min(available, Int64(chunkSize)))
                try file.seek(toOffset: UInt64(offset))
                let bytes = try file.read(upToCount: length) ?? Data()
                guard bytes.count == length else { throw DeliveryError.shortRead(offset: offset, expected: length, got: bytes.count) }
                let no = state.chunksAcknowledged
                try await deliver(.chunk(trace: trace, no: no, field: bytes.base64EncodedString()), state: &state, counters: counters, metadata: ["chunk.no": "\(no)"])
                offset += Int64(length)
                available -= Int64(length)
                state.chunksAcknowledged += 1
                state.bytesAcknowledged = offset
                counters(state)
                lastSend = ContinuousClock.now
            }
            if let exit = now.exit, offset == now.bytesWritten {
                try await deliver(.finished(trace: trace, stderr: exit.stderr, code: exit.code), state: &state, counters: counters, metadata: ["trace.code": "\(exit.code)"])
                state.finishedAcknowledged = true
                counters(state)
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

    /// Sends one message until the platform acknowledges it. Connection errors and 5xx,
    /// 408 and 429 are retried after `retryDelay` (the same `no` and bytes); another 4xx
    /// is a permanent refusal: logged, counted, and the message is not sent again.
    func deliver(_ message: SubmitMessage, state: inout DeliveryCounters, counters: @Sendable (DeliveryCounters) -> Void, metadata: Logger.Metadata) async throws {
        while true {
            try Task.checkCancellation()
            do {
                switch try await client.send(message) {
                case .acknowledged:
                    return
                case .refused(let status) where status >= 500 || status == 408 || status == 429:
                    state.lastError = "platform answered \(status)"
                case .refused(let status):
                    state.lastError = "platform refused a message with \(status)"
                    counters(state)
                    logger.error("Platform refused a submit message; not retried", metadata: metadata.merging(["http.status": "\(status)"]) { $1 })
                    return
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                state.lastError = "cannot reach the platform: \(error)"
            }
            state.retries += 1
            counters(state)
            logger.warning("Submit failed; retrying", metadata: metadata.merging(["delivery.error": "\(state.lastError ?? "")"]) { $1 })
            try await Task.sleep(for: retryDelay)
        }
    }
}

public enum DeliveryError: Error, CustomStringConvertible {
    case shortRead(offset: Int64, expected: Int, got: Int)

    public var description: String {
        switch self {
        case let .shortRead(offset, expected, got): return "run file shorter than recorded: wanted \(expected) bytes at \(offset), read \(got)"
        }
    }
}
