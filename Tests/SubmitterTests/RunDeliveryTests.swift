import EndpointCore
import Foundation
import Logging
import NIOCore
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

    /// Answers each message with `answer(message, attempt)` (200 when nil) and logs it.
    final class RecordingTransport: SubmitTransport {
        let log = Mutex<[Event]>([])
        let answer: @Sendable (String) -> Int?
        init(answer: @escaping @Sendable (String) -> Int? = { _ in nil }) { self.answer = answer }
        func send(_ body: ByteBuffer) async throws -> SubmitAnswer {
            let text = String(buffer: body)
            log.withLock { $0.append(.sent(text)) }
            return SubmitAnswer(status: answer(text) ?? 200)
        }
        var events: [Event] { log.withLock { $0 } }
        var sent: [String] { events.compactMap { if case .sent(let text) = $0 { text } else { nil } } }
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

    func deliver(
        _ path: String, written: Int, exit: TracerExit? = TracerExit(code: 0, stderr: "bye"), from cursor: DeliveryCursor = DeliveryCursor(),
        chunkSize: Int = 1024, transport: RecordingTransport, unreadable: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let delivery = RunDelivery(
            trace: path, filePath: path, chunkSize: chunkSize, flushInterval: nil, client: transport,
            retryPolicy: RetryPolicy(initial: .milliseconds(1), maximum: .milliseconds(2)), logger: logger)
        let progress = DeliveryProgress(bytesWritten: Int64(written), exit: exit)
        try await delivery.run(from: cursor, progress: ProgressSignal(), current: { progress }, unreadable: unreadable) { cursor, durable in
            transport.log.withLock { $0.append(.recorded(cursor, durable: durable)) }
        }
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
        #expect(finished.contains(#""status":"finished""#) && finished.contains("the 4096 bytes of output after byte 0 could not be sent"), "\(finished)")
        #expect(Self.chunks(transport.sent).isEmpty)
    }

    @Test("A 400 refuses one chunk for good; 401, 404 and a redirect are retried until acknowledged")
    func refusalsAndRetries() async throws {
        let (path, _) = try Self.runFile(count: 3072)
        defer { unlink(path) }
        let attempts = Mutex<[Int: Int]>([:])
        let transport = RecordingTransport(answer: { text in
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
        guard case .recorded(let cursor, _) = last else { Issue.record("no cursor recorded"); return }
        #expect(cursor.refusedMessages == 1 && cursor.retries == 3 && cursor.chunksAcknowledged == 3 && cursor.lastStatusCode == 200)
    }
}
