import EndpointTestSupport
import Foundation
import Logging
import NIOCore
import PlatformWire
import Submitter
import Synchronization
import Testing

/// How a delivery waits: on the delivery thread, for a whole chunk or the flush
/// interval, and what it makes durable and gives back meanwhile.
extension RunDeliveryTests {
    @Test("A delivery runs on the delivery thread, its sends and records included, wherever it was started")
    func runsOnTheDeliveryThread() async throws {
        let (path, _) = try Self.runFile(count: 3000)
        defer { unlink(path) }
        let elsewhere = Mutex<[String]>([])
        let onDeliveryThread = { @Sendable (what: String) in
            if !DeliveryExecutor.shared.eventLoop.inEventLoop { elsewhere.withLock { $0.append(what) } }
        }
        let transport = RecordingTransport(answer: { _ in
            onDeliveryThread("send")
            return nil
        })
        let output = WrittenOutput(bytesWritten: 3000, finished: FinishedReport(code: 0, stderr: ""))
        try await Self.delivery(path, chunkSize: 1024, transport: transport)
            .run(
                from: DeliveryCursor(),
                progress: ProgressSignal(),
                current: { output },
                record: { _, _ in
                    onDeliveryThread("record")
                    return true
                }
            )
        #expect(transport.sent.count == 5)
        #expect(elsewhere.withLock { $0 }.isEmpty, "ran off the delivery thread: \(elsewhere.withLock { $0 })")
    }

    @Test("A delivery waiting for a whole chunk wakes once it is written, not at every block written before")
    func wakesPerWholeChunk() async throws {
        let (path, bytes) = try Self.runFile(count: 2048)
        defer { unlink(path) }
        let output = Mutex(WrittenOutput(bytesWritten: 0, finished: nil))
        let looks = Atomic<Int>(0)
        let progress = ProgressSignal()
        let transport = RecordingTransport()
        let delivery = Self.delivery(path, chunkSize: 1024, transport: transport)
        let running = Task {
            try await delivery.run(
                from: DeliveryCursor(),
                progress: progress,
                current: {
                    looks.add(1, ordering: .relaxed)
                    return output.withLock { $0 }
                },
                record: { _, _ in true }
            )
        }
        try await Self.waitUntil("the delivery waits") { looks.load(ordering: .relaxed) >= 1 }
        // The tracer's reader hands on 16-byte blocks, as a line-buffered tracer does.
        for written in stride(from: 16, through: 2048, by: 16) {
            output.withLock { $0.bytesWritten = Int64(written) }
            progress.signal(level: Int64(written))
            // The writer's pace: four blocks a millisecond, so blocks arrive while it waits.
            if written % 64 == 0 { try await Task.sleep(for: .milliseconds(1)) }
        }
        try await Self.waitUntil("both chunks sent") { Self.chunks(transport.sent).count >= 2 }
        #expect(looks.load(ordering: .relaxed) <= 6, "the delivery looked at the output \(looks.load(ordering: .relaxed)) times for 128 blocks")
        output.withLock { $0.finished = FinishedReport(code: 0, stderr: "") }
        progress.signal()
        try await running.value
        #expect(Self.chunks(transport.sent).flatMap(\.bytes) == bytes)
    }

    @Test("A partial chunk waits for the writer without a flush interval, and goes out once the interval passed with one")
    func flushInterval() async throws {
        let (path, bytes) = try Self.runFile(count: 1500)
        defer { unlink(path) }
        for interval in [nil, Duration.milliseconds(50)] {
            let output = Mutex(WrittenOutput(bytesWritten: 1500, finished: nil))
            let progress = ProgressSignal()
            let transport = RecordingTransport()
            let delivery = Self.delivery(path, chunkSize: 1024, flushInterval: interval, transport: transport)
            let running = Task {
                try await delivery.run(from: DeliveryCursor(), progress: progress, current: { output.withLock { $0 } }, record: { _, _ in true })
            }
            try await Self.waitUntil("chunk 0 sent") { Self.chunks(transport.sent).count >= 1 }
            if interval == nil {
                // Long enough for a due flush to have happened many times over.
                try await Task.sleep(for: .milliseconds(300))
                #expect(Self.chunks(transport.sent).map(\.bytes.count) == [1024], "a partial chunk went out while the writer was still writing")
            } else {
                try await Self.waitUntil("the partial chunk flushed") { Self.chunks(transport.sent).count >= 2 }
                #expect(Self.chunks(transport.sent).map(\.bytes.count) == [1024, 476])
            }
            output.withLock { $0.finished = FinishedReport(code: 0, stderr: "") }
            progress.signal()
            try await running.value
            let sentBytes = Self.chunks(transport.sent).flatMap(\.bytes)
            #expect(sentBytes == bytes, "the bytes sent are not the file's")
            #expect(transport.sent.last?.contains(#""status":"finished""#) == true)
        }
    }

    @Test("Caught up with a slow writer, the position is made durable once it is durableCursorInterval old, not after every chunk")
    func durableWhileCaughtUp() async throws {
        let (path, _) = try Self.runFile(count: 10 * 1024)
        defer { unlink(path) }
        let output = Mutex(WrittenOutput(bytesWritten: 0, finished: nil))
        let progress = ProgressSignal()
        let transport = RecordingTransport()
        let delivery = Self.delivery(path, chunkSize: 1024, transport: transport)
        let running = Task {
            try await delivery.run(
                from: DeliveryCursor(),
                progress: progress,
                current: { output.withLock { $0 } },
                record: { cursor, durable in
                    transport.log.withLock { $0.append(.recorded(cursor, durable: durable)) }
                    return true
                }
            )
        }
        // A chunk every 5 ms: the delivery sends each at once and waits for the next.
        for written in 1...10 {
            output.withLock { $0.bytesWritten = Int64(written * 1024) }
            progress.signal()
            try await Self.waitUntil("chunk \(written - 1) sent") { Self.chunks(transport.sent).count >= written }
            try await Task.sleep(for: .milliseconds(5))
        }
        func durableChunkCounts() -> [Int] {
            transport.events.compactMap {
                if case .recorded(let cursor, true) = $0, cursor.chunksAcknowledged > 0 { cursor.chunksAcknowledged } else { nil }
            }
        }
        #expect(durableChunkCounts().count <= 3, "made durable after every chunk: \(durableChunkCounts())")
        try await Self.waitUntil("the caught-up position made durable") { durableChunkCounts().last == 10 }
        output.withLock { $0.finished = FinishedReport(code: 0, stderr: "") }
        progress.signal()
        try await running.value
    }

    @Test("Acknowledged output is given back (a hole punched) only after its position was recorded: never when the record failed")
    func punchOnlyAfterRecord() async throws {
        // 256 KiB: four release granules, sent while the writer is still running, so the
        // caught-up position is made durable (and its bytes released) after 200 ms.
        for recordWorks in [false, true] {
            let (path, bytes) = try Self.runFile(count: 256 * 1024)
            defer { unlink(path) }
            let transport = RecordingTransport()
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let delivery = RunDelivery(
                filePath: path,
                chunkSize: 64 * 1024,
                flushInterval: nil,
                client: transport,
                retryPolicy: RetryPolicy(initial: .milliseconds(1), maximum: .milliseconds(2)),
                releasesAcknowledgedOutput: true,
                logger: logger
            )
            let output = Mutex(WrittenOutput(bytesWritten: Int64(bytes.count), finished: nil))
            let progress = ProgressSignal()
            let durableRecords = Mutex(0)
            let running = Task {
                // With recordWorks false: a database refusing every durable write, as a full
                // disk or a locked file would.
                try await delivery.run(from: DeliveryCursor(), progress: progress, current: { output.withLock { $0 } }) { cursor, durable in
                    if durable, cursor.chunksAcknowledged == 4 { durableRecords.withLock { $0 += 1 } }
                    return recordWorks || !durable
                }
            }
            try await Self.waitUntil("the caught-up position recorded") { durableRecords.withLock { $0 } >= 1 }
            let left = try Data(contentsOf: URL(fileURLWithPath: path))
            if recordWorks {
                #expect(left.allSatisfy { $0 == 0 }, "a recorded position releases its bytes")
            } else {
                #expect(Array(left) == bytes, "bytes were released although their position was never recorded")
            }
            output.withLock { $0.finished = FinishedReport(code: 0, stderr: "") }
            progress.signal()
            try await running.value
        }
    }
}
