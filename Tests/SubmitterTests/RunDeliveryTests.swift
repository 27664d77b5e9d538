import EndpointTestSupport
import Foundation
import Logging
import NIOCore
import PlatformWire
import Submitter
import Synchronization
import Testing

/// One run's delivery, driven against a recording transport: what goes out, in which
/// order, and what is made durable before what. Milliseconds, no HTTP, no processes.
@Suite("Run delivery without HTTP")
struct RunDeliveryTests {
    /// What the delivery did, in order: messages sent and cursors recorded.
    enum Event: Equatable {
        case sent(String)
        case recorded(DeliveryCursor, durable: Bool)
    }

    /// Answers each message with `answer(message)` (200 when nil) and logs it.
    final class RecordingTransport: SubmitTransport {
        let log = Mutex<[Event]>([])
        let answer: @Sendable (String) async -> PlatformAnswer?
        init(answer: @escaping @Sendable (String) async -> PlatformAnswer? = { _ in nil }) { self.answer = answer }
        convenience init(status: @escaping @Sendable (String) -> Int?) { self.init(answer: { status($0).map { PlatformAnswer(status: $0) } }) }
        func send(_ body: ByteBuffer) async throws -> PlatformAnswer {
            let text = String(buffer: body)
            log.withLock { $0.append(.sent(text)) }
            return await answer(text) ?? PlatformAnswer(status: 200)
        }
        var events: [Event] { log.withLock { $0 } }
        var sent: [String] { events.compactMap { if case .sent(let text) = $0 { text } else { nil } } }
    }

    /// `eventually`, polled every 10 ms: these waits pace a delivery against the 200 ms
    /// durable-cursor interval, which the default 50 ms poll would eat most of.
    static func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        try await eventually(what, poll: .milliseconds(10)) { condition() }
    }

    /// The backoff pauses a delivery asked for, recorded instead of slept.
    final class PauseLog: Sendable {
        let recorded = Mutex<[Duration]>([])
    }

    struct Chunk: Decodable, Equatable {
        let no: Int
        let field: String
        var bytes: [UInt8] { Array(Data(base64Encoded: field) ?? Data()) }
    }

    static func chunks(_ sent: [String]) -> [Chunk] {
        sent.compactMap { try? JSONDecoder().decode(Chunk.self, from: Data($0.utf8)) }
    }

    /// A run file of `count` bytes, each distinct from its neighbours.
    static func runFile(count: Int) throws -> (path: String, bytes: [UInt8]) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("delivery-\(UUID().uuidString).trace").path
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 % 251) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, bytes)
    }

    /// Delivers `path` as a file of `written` bytes whose writer is done (`finished`
    /// given) or not; backoff pauses are recorded in `pauses`, not slept.
    func deliver(
        _ path: String,
        written: Int,
        finished: FinishedReport? = FinishedReport(code: 0, stderr: "bye"),
        from cursor: DeliveryCursor = DeliveryCursor(),
        chunkSize: Int = 1024,
        retryPolicy: RetryPolicy = RetryPolicy(initial: .milliseconds(1), maximum: .milliseconds(2)),
        pauses: PauseLog? = nil,
        transport: RecordingTransport,
        unreadable: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws {
        let output = WrittenOutput(bytesWritten: Int64(written), finished: finished)
        try await Self.delivery(path, chunkSize: chunkSize, retryPolicy: retryPolicy, pauses: pauses, transport: transport)
            .run(
                from: cursor,
                progress: ProgressSignal(),
                current: { output },
                unreadable: unreadable,
                record: { cursor, durable in
                    transport.log.withLock { $0.append(.recorded(cursor, durable: durable)) }
                    return true
                }
            )
    }

    static func delivery(
        _ path: String,
        chunkSize: Int,
        flushInterval: Duration? = nil,
        retryPolicy: RetryPolicy = RetryPolicy(initial: .milliseconds(1), maximum: .milliseconds(2)),
        pauses: PauseLog? = nil,
        transport: RecordingTransport
    ) -> RunDelivery {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return RunDelivery(
            filePath: path,
            chunkSize: chunkSize,
            flushInterval: flushInterval,
            client: transport,
            retryPolicy: retryPolicy,
            logger: logger,
            pause: { pause in
                // Unrecorded, the pause is slept as the endpoint's delivery sleeps it.
                if let pauses { pauses.recorded.withLock { $0.append(pause) } } else { try await Task.sleep(for: pause) }
            }
        )
    }

    @Test("start, chunks of exactly chunkSize but the last, finished; the bytes are the file's")
    func chunkBoundaries() async throws {
        let (path, bytes) = try Self.runFile(count: 5000)
        defer { unlink(path) }
        let transport = RecordingTransport()
        try await deliver(path, written: 5000, transport: transport)
        let sent = transport.sent
        #expect(sent.first == #"{"trace":"\#(path)","status":"start"}"#)
        #expect(sent.last == #"{"trace":"\#(path)","stderr":"bye","code":0,"status":"finished"}"#)
        let chunks = Self.chunks(sent)
        #expect(chunks.map(\.no) == [0, 1, 2, 3, 4])
        #expect(chunks.map(\.bytes.count) == [1024, 1024, 1024, 1024, 904])
        #expect(chunks.flatMap(\.bytes) == bytes)
    }

    @Test("A short chunk's length is durable before it is sent, and a resumed delivery cuts it again at that length")
    func shortChunkLengthIsDurableFirst() async throws {
        let (path, bytes) = try Self.runFile(count: 1500)
        defer { unlink(path) }
        let transport = RecordingTransport()
        try await deliver(path, written: 1500, transport: transport)
        let events = transport.events
        let shortSend = try #require(events.firstIndex { if case .sent(let text) = $0 { text.contains(#""no":1"#) } else { false } })
        let announced = events[..<shortSend].contains { if case .recorded(let cursor, true) = $0 { cursor.shortChunkLength == 476 } else { false } }
        #expect(announced, "the short chunk went out before its length was durable: \(events)")

        // The endpoint died after sending that chunk: the file has grown to 3000 bytes
        // meanwhile, but chunk 1 goes out again with its 476 bytes, not 1024.
        let grown = try Self.runFile(count: 3000)
        defer { unlink(grown.path) }
        var cursor = DeliveryCursor()
        cursor.startAcknowledged = true
        cursor.chunksAcknowledged = 1
        cursor.bytesAcknowledged = 1024
        cursor.shortChunkLength = 476
        let resumed = RecordingTransport()
        try await deliver(grown.path, written: 3000, from: cursor, transport: resumed)
        let chunks = Self.chunks(resumed.sent)
        #expect(chunks.first?.no == 1 && chunks.first?.bytes == Array(bytes[1024..<1500]))
        #expect(chunks.map(\.bytes.count) == [476, 1024, 476])
    }

    @Test("A run file that cannot be read is reported once and finished still goes out, saying what was lost")
    func unreadableFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gone-\(UUID().uuidString).trace").path
        let reports = Mutex<[String]>([])
        let transport = RecordingTransport()
        try await deliver(path, written: 4096, transport: transport, unreadable: { reason in reports.withLock { $0.append(reason) } })
        #expect(reports.withLock { $0.count } == 1)
        let finished = try #require(transport.sent.last)
        #expect(
            finished.contains(#""status":"finished""#) && finished.contains("the 4096 bytes of output after byte 0 could not be sent"),
            "\(finished)"
        )
        #expect(Self.chunks(transport.sent).isEmpty)
    }

    @Test("A 400 refuses one chunk for good; 401, 404 and a redirect are retried until acknowledged")
    func refusalsAndRetries() async throws {
        let (path, _) = try Self.runFile(count: 3072)
        defer { unlink(path) }
        let attempts = Mutex<[Int: Int]>([:])
        let transport = RecordingTransport(status: { text in
            guard let no = (try? JSONDecoder().decode(Chunk.self, from: Data(text.utf8)))?.no else { return nil }
            let attempt = attempts.withLock { attempts in
                attempts[no, default: 0] += 1
                return attempts[no]!
            }
            switch (no, attempt) {
            case (0, _): return 400
            case (1, 1): return 401
            case (1, 2): return 404
            case (1, 3): return 303
            default: return nil
            }
        })
        try await deliver(path, written: 3072, transport: transport)
        #expect(attempts.withLock { $0 } == [0: 1, 1: 4, 2: 1])
        let last = transport.events.last { if case .recorded = $0 { true } else { false } }
        guard case .recorded(let cursor, _) = last else {
            Issue.record("no cursor recorded")
            return
        }
        #expect(cursor.refusedMessages == 1 && cursor.retries == 3 && cursor.chunksAcknowledged == 3 && cursor.lastStatusCode == 200)
    }

    @Test("Retries wait out the policy's backoff, doubling to its maximum, and honour Retry-After; each message starts over")
    func backoffPauses() async throws {
        let (path, _) = try Self.runFile(count: 2048)
        defer { unlink(path) }
        let answers = Mutex<[Int: [PlatformAnswer]]>([
            0: [PlatformAnswer(status: 503, retryAfter: "7"), PlatformAnswer(status: 503), PlatformAnswer(status: 500), PlatformAnswer(status: 502)],
            1: [PlatformAnswer(status: 429)],
        ])
        let transport = RecordingTransport(answer: { text in
            guard let no = (try? JSONDecoder().decode(Chunk.self, from: Data(text.utf8)))?.no else { return nil }
            return answers.withLock { answers in answers[no]?.isEmpty == false ? answers[no]!.removeFirst() : nil }
        })
        let pauses = PauseLog()
        let started = ContinuousClock.now
        try await deliver(
            path,
            written: 2048,
            retryPolicy: RetryPolicy(initial: .seconds(1), maximum: .seconds(4), jitter: 0),
            pauses: pauses,
            transport: transport
        )
        #expect(pauses.recorded.withLock { $0 } == [.seconds(7), .seconds(2), .seconds(4), .seconds(4), .seconds(1)])
        #expect(Self.chunks(transport.sent).map(\.no) == [0, 0, 0, 0, 0, 1, 1])
        #expect(ContinuousClock.now - started < .seconds(5), "the pauses were slept, not recorded")
    }

    @Test(
        "Resumed from a cursor: no second start, chunks go on from the acknowledged one with the file's bytes; an acknowledged finished sends nothing"
    )
    func resumeFromCursor() async throws {
        let (path, bytes) = try Self.runFile(count: 5000)
        defer { unlink(path) }
        var cursor = DeliveryCursor()
        cursor.startAcknowledged = true
        cursor.chunksAcknowledged = 2
        cursor.bytesAcknowledged = 2048
        let transport = RecordingTransport()
        try await deliver(path, written: 5000, from: cursor, transport: transport)
        #expect(!transport.sent.contains { $0.contains(#""status":"start""#) })
        let chunks = Self.chunks(transport.sent)
        #expect(chunks.map(\.no) == [2, 3, 4])
        #expect(chunks.flatMap(\.bytes) == Array(bytes[2048...]))
        #expect(transport.sent.last?.contains(#""status":"finished""#) == true)

        cursor.finishedAcknowledged = true
        let done = RecordingTransport()
        try await deliver(path, written: 5000, from: cursor, transport: done)
        #expect(done.events.isEmpty)
    }

    @Test("The next whole chunk is read while the previous one is on the wire")
    func readAhead() async throws {
        let (path, bytes) = try Self.runFile(count: 2048)
        defer { unlink(path) }
        // While chunk 0 waits for its answer, chunk 1's bytes change in the file: a
        // delivery that read ahead sends the bytes it read before the change.
        let transport = RecordingTransport(answer: { text in
            guard text.contains(#""no":0"#) else { return nil }
            // A slow answer: the window in which chunk 1 is read ahead, then changed.
            try? await Task.sleep(for: .milliseconds(200))
            let handle = FileHandle(forWritingAtPath: path)
            try? handle?.seek(toOffset: 1024)
            handle?.write(Data(repeating: 0xFF, count: 1024))
            try? handle?.close()
            return nil
        })
        try await deliver(path, written: 2048, transport: transport)
        let chunks = Self.chunks(transport.sent)
        #expect(chunks.map(\.no) == [0, 1])
        let readBeforeTheChange = chunks.last?.bytes == Array(bytes[1024...])
        #expect(readBeforeTheChange, "chunk 1 was read after chunk 0 was acknowledged")
    }
}
