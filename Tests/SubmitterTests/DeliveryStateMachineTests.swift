import PlatformWire
import Testing

@testable import Submitter

/// Every decision of one run's delivery, event by event, with a clock the test sets: no
/// file, no platform, no sleep. `RunDeliveryTests` drives the same machine through its
/// I/O loop against a recording transport.
@Suite("Delivery state machine (pure)")
struct DeliveryStateMachineTests {
    typealias Machine = DeliveryStateMachine
    typealias Chunk = DeliveryStateMachine.Chunk

    let t0 = ContinuousClock.now
    func at(_ milliseconds: Int) -> ContinuousClock.Instant { t0 + .milliseconds(milliseconds) }

    static let ok = Machine.Outcome.answered(PlatformAnswer(status: 200))
    static func status(_ status: Int, retryAfter: String? = nil) -> Machine.Outcome {
        .answered(PlatformAnswer(status: status, retryAfter: retryAfter))
    }
    static let bye = FinishedReport(code: 0, stderr: "bye")

    /// The jitter draw for an answer that needs none: a draw is a `getrandom` call, which
    /// an acknowledged chunk must not pay for.
    static func noDraw() -> Double {
        Issue.record("a jitter draw for an acknowledged message")
        return 0
    }

    func machine(
        from cursor: DeliveryCursor = DeliveryCursor(),
        flushInterval: Duration? = nil,
        releases: Bool = true
    ) -> Machine {
        Machine(
            cursor: cursor,
            chunkSize: 1024,
            flushInterval: flushInterval,
            retryPolicy: RetryPolicy(initial: .seconds(1), maximum: .seconds(4), jitter: 0),
            releasesAcknowledgedOutput: releases,
            durableCursorInterval: .milliseconds(200),
            now: at(0)
        )
    }

    /// Sends `start` and has it acknowledged at `now`; returns the cursor recorded then.
    static func started(_ machine: inout Machine, at now: ContinuousClock.Instant) -> DeliveryCursor {
        #expect(machine.start(at: now) == .send(.start, readAhead: nil))
        var expected = DeliveryCursor()
        expected.startAcknowledged = true
        expected.lastStatusCode = 200
        #expect(machine.answered(ok, at: now, random: 0) == .record(expected, durable: true))
        #expect(machine.recorded(kept: true, at: now) == .readOutput)
        return expected
    }

    /// The cursor a delivery stopped at before a restart, `start` acknowledged.
    static func resumed(chunks: Int, bytes: Int64, shortChunkLength: Int? = nil) -> DeliveryCursor {
        var cursor = DeliveryCursor()
        cursor.startAcknowledged = true
        cursor.chunksAcknowledged = chunks
        cursor.bytesAcknowledged = bytes
        cursor.shortChunkLength = shortChunkLength
        return cursor
    }

    @Test("start, whole chunks each reading the next ahead, a short last chunk durable before it is sent, finished, stop")
    func freshDelivery() {
        var delivery = machine()
        var expected = Self.started(&delivery, at: at(1))
        let c0 = Chunk(no: 0, offset: 0, length: 1024)
        let c1 = Chunk(no: 1, offset: 1024, length: 1024)
        let c2 = Chunk(no: 2, offset: 2048, length: 452)
        #expect(delivery.outputRead(WrittenOutput(bytesWritten: 2500, finished: Self.bye), at: at(2)) == .send(.chunk(c0), readAhead: c1))
        expected.chunksAcknowledged = 1
        expected.bytesAcknowledged = 1024
        #expect(delivery.answered(Self.ok, at: at(3), random: Self.noDraw()) == .record(expected, durable: false), "2 ms after the last durable one")
        #expect(delivery.recorded(kept: true, at: at(3)) == .send(.chunk(c1), readAhead: c2), "the writer is done: the short rest is read ahead")
        expected.chunksAcknowledged = 2
        expected.bytesAcknowledged = 2048
        #expect(delivery.answered(Self.ok, at: at(4), random: Self.noDraw()) == .record(expected, durable: false))
        expected.shortChunkLength = 452
        #expect(delivery.recorded(kept: true, at: at(4)) == .record(expected, durable: true), "the short length is durable first")
        #expect(delivery.recorded(kept: true, at: at(4)) == .send(.chunk(c2), readAhead: nil))
        expected.chunksAcknowledged = 3
        expected.bytesAcknowledged = 2500
        expected.shortChunkLength = nil
        #expect(
            delivery.answered(Self.ok, at: at(5), random: Self.noDraw()) == .record(expected, durable: true),
            "a short chunk's acknowledgement is durable"
        )
        #expect(delivery.recorded(kept: true, at: at(5)) == .release(before: 2500))
        #expect(delivery.released(at: at(5)) == .send(.finished(Self.bye), readAhead: nil))
        expected.finishedAcknowledged = true
        #expect(delivery.answered(Self.ok, at: at(6), random: Self.noDraw()) == .record(expected, durable: true))
        #expect(delivery.recorded(kept: true, at: at(6)) == .stop)
        #expect(delivery.cursor == expected)
    }

    @Test("Resumed: an acknowledged finished asks for nothing; an acknowledged start is not sent again and chunks go on from the cursor")
    func resumed() {
        var done = DeliveryCursor()
        done.startAcknowledged = true
        done.finishedAcknowledged = true
        var finished = machine(from: done)
        #expect(finished.start(at: at(0)) == .stop)

        var resumed = machine(from: Self.resumed(chunks: 2, bytes: 2048))
        #expect(resumed.start(at: at(0)) == .readOutput)
        #expect(
            resumed.outputRead(WrittenOutput(bytesWritten: 5000, finished: nil), at: at(1))
                == .send(.chunk(Chunk(no: 2, offset: 2048, length: 1024)), readAhead: Chunk(no: 3, offset: 3072, length: 1024))
        )
    }

    @Test("A chunk cut short before a restart is cut again at that length, whatever the output grew to, and not recorded again")
    func shortChunkAfterRestart() {
        var delivery = machine(from: Self.resumed(chunks: 1, bytes: 1024, shortChunkLength: 476))
        #expect(delivery.start(at: at(0)) == .readOutput)
        #expect(
            delivery.outputRead(WrittenOutput(bytesWritten: 3000, finished: nil), at: at(1))
                == .send(.chunk(Chunk(no: 1, offset: 1024, length: 476)), readAhead: Chunk(no: 2, offset: 1500, length: 1024))
        )
    }

    static let second = Chunk(no: 1, offset: 1024, length: 1024)

    /// Starts `delivery` at 1 ms; at 2 ms 2048 bytes are written: chunk 0 goes out with
    /// chunk 1 read ahead. Returns the cursor recorded last.
    func firstOfTwoChunksSent(_ delivery: inout Machine) -> DeliveryCursor {
        let expected = Self.started(&delivery, at: at(1))
        let first = Chunk(no: 0, offset: 0, length: 1024)
        #expect(delivery.outputRead(WrittenOutput(bytesWritten: 2048, finished: nil), at: at(2)) == .send(.chunk(first), readAhead: Self.second))
        return expected
    }

    @Test("A retry is recorded, paused on (doubling, Retry-After a floor) and sent again; the next message starts over at the first pause")
    func retries() {
        var delivery = machine()
        var expected = firstOfTwoChunksSent(&delivery)
        expected.notAcknowledged(retried: true, status: 503, error: "platform answered 503")
        #expect(delivery.answered(Self.status(503, retryAfter: "7"), at: at(3), random: 0) == .record(expected, durable: true))
        #expect(delivery.recorded(kept: true, at: at(3)) == .pause(.seconds(7), attempt: 1, reason: "platform answered 503"))
        #expect(delivery.pauseEnded(at: at(7003)) == .sendAgain)
        expected.notAcknowledged(retried: true, status: nil, error: "cannot reach the platform: connection reset")
        #expect(delivery.answered(.unreachable("connection reset"), at: at(7004), random: 0) == .record(expected, durable: true))
        #expect(delivery.recorded(kept: false, at: at(7004)) == .pause(.seconds(2), attempt: 2, reason: expected.lastDeliveryError!))
        #expect(delivery.pauseEnded(at: at(9004)) == .sendAgain)
        expected.notAcknowledged(retried: true, status: 401, error: "platform answered 401")
        #expect(delivery.answered(Self.status(401), at: at(9005), random: 0.99) == .record(expected, durable: true))
        #expect(delivery.recorded(kept: true, at: at(9005)) == .pause(.seconds(4), attempt: 3, reason: "platform answered 401"), "jitter 0")
        #expect(delivery.pauseEnded(at: at(13005)) == .sendAgain)
        expected.lastStatusCode = 200
        expected.chunksAcknowledged = 1
        expected.bytesAcknowledged = 1024
        #expect(delivery.answered(Self.ok, at: at(13006), random: 0) == .record(expected, durable: true), "13 s after the last durable one")
        #expect(delivery.recorded(kept: true, at: at(13006)) == .release(before: 1024))
        #expect(delivery.released(at: at(13006)) == .send(.chunk(Self.second), readAhead: nil))
        expected.notAcknowledged(retried: true, status: 429, error: "platform answered 429")
        #expect(delivery.answered(Self.status(429), at: at(13007), random: 0) == .record(expected, durable: true))
        #expect(delivery.recorded(kept: true, at: at(13007)) == .pause(.seconds(1), attempt: 1, reason: "platform answered 429"))
    }

    @Test("A permanent refusal is recorded and counted, never sent again, and the delivery goes on past it")
    func refusal() {
        var delivery = machine()
        var expected = firstOfTwoChunksSent(&delivery)
        expected.notAcknowledged(retried: false, status: 400, error: "platform refused a message with 400; not retried")
        #expect(delivery.answered(Self.status(400), at: at(3), random: 0) == .recordRefusal(expected, status: 400))
        expected.chunksAcknowledged = 1
        expected.bytesAcknowledged = 1024
        #expect(delivery.recorded(kept: true, at: at(3)) == .record(expected, durable: false))
        #expect(delivery.recorded(kept: true, at: at(3)) == .send(.chunk(Self.second), readAhead: nil))
    }

    @Test("Without a flush interval a partial chunk waits for a whole one or the writer's end, with no timer")
    func partialChunkWithoutFlush() {
        var delivery = machine()
        _ = Self.started(&delivery, at: at(1))
        let partial = WrittenOutput(bytesWritten: 476, finished: nil)
        #expect(delivery.outputRead(partial, at: at(2)) == .waitForOutput(mark: 1024, timeout: nil))
        #expect(delivery.outputRead(partial, at: at(60_000)) == .waitForOutput(mark: 1024, timeout: nil), "a minute later: still waiting")
        #expect(
            delivery.outputRead(WrittenOutput(bytesWritten: 476, finished: Self.bye), at: at(60_001))
                == .record(delivery.cursorWithShortChunk(476), durable: true)
        )
    }

    @Test("With a flush interval the first new byte wakes the delivery, and a partial chunk goes out once the interval passed since the last send")
    func flushInterval() {
        var delivery = machine(flushInterval: .milliseconds(50))
        _ = Self.started(&delivery, at: at(1))
        let nothing = WrittenOutput(bytesWritten: 0, finished: nil)
        #expect(delivery.outputRead(nothing, at: at(2)) == .waitForOutput(mark: 1, timeout: nil), "nothing pending: the first byte wakes it")
        let partial = WrittenOutput(bytesWritten: 476, finished: nil)
        #expect(delivery.outputRead(partial, at: at(11)) == .waitForOutput(mark: 1024, timeout: .milliseconds(40)), "due 50 ms after the start")
        #expect(delivery.outputRead(partial, at: at(51)) == .record(delivery.cursorWithShortChunk(476), durable: true))
        #expect(delivery.recorded(kept: true, at: at(51)) == .send(.chunk(Chunk(no: 0, offset: 0, length: 476)), readAhead: nil))
    }

    @Test("Acknowledgements are durable every durableCursorInterval; caught up, the position is made durable once it is that old, then released")
    func durablePosition() {
        var delivery = machine()
        var expected = Self.started(&delivery, at: at(0))
        let written = WrittenOutput(bytesWritten: 1024, finished: nil)
        #expect(delivery.outputRead(written, at: at(100)) == .send(.chunk(Chunk(no: 0, offset: 0, length: 1024)), readAhead: nil))
        expected.chunksAcknowledged = 1
        expected.bytesAcknowledged = 1024
        #expect(delivery.answered(Self.ok, at: at(150), random: 0) == .record(expected, durable: false))
        #expect(
            delivery.recorded(kept: true, at: at(150)) == .waitForOutput(mark: 2048, timeout: .milliseconds(50)),
            "durable 200 ms after the last time"
        )
        #expect(delivery.outputRead(written, at: at(170)) == .waitForOutput(mark: 2048, timeout: .milliseconds(30)))
        #expect(delivery.outputRead(written, at: at(200)) == .record(expected, durable: true))
        #expect(delivery.recorded(kept: true, at: at(200)) == .release(before: 1024))
        #expect(delivery.released(at: at(200)) == .waitForOutput(mark: 2048, timeout: nil), "nothing left to make durable")
    }

    @Test("Bytes are released only after a durable write that was kept, and only when the delivery releases them")
    func releaseOnlyAfterKeptWrite() {
        for (kept, releases) in [(false, true), (true, false)] {
            var delivery = machine(releases: releases)
            var expected = Self.started(&delivery, at: at(0))
            #expect(
                delivery.outputRead(WrittenOutput(bytesWritten: 1024, finished: nil), at: at(1))
                    == .send(.chunk(Chunk(no: 0, offset: 0, length: 1024)), readAhead: nil)
            )
            expected.chunksAcknowledged = 1
            expected.bytesAcknowledged = 1024
            #expect(delivery.answered(Self.ok, at: at(300), random: 0) == .record(expected, durable: true))
            #expect(delivery.recorded(kept: kept, at: at(300)) == .waitForOutput(mark: 2048, timeout: nil), "kept \(kept), releases \(releases)")
        }
    }

    @Test("An unreadable chunk is not read again; finished goes out once the writer is done, saying what could not be sent")
    func unreadable() {
        var delivery = machine()
        _ = Self.started(&delivery, at: at(1))
        let c0 = Chunk(no: 0, offset: 0, length: 1024)
        #expect(
            delivery.outputRead(WrittenOutput(bytesWritten: 4096, finished: nil), at: at(2))
                == .send(.chunk(c0), readAhead: Chunk(no: 1, offset: 1024, length: 1024))
        )
        #expect(delivery.chunkUnreadable("run file shorter than recorded", at: at(3)) == .waitForOutput(mark: 1024, timeout: nil))
        #expect(delivery.unreadableReason == "run file shorter than recorded")
        #expect(
            delivery.outputRead(WrittenOutput(bytesWritten: 8192, finished: nil), at: at(4)) == .waitForOutput(mark: 1024, timeout: nil),
            "no chunk read again"
        )
        let lost = FinishedReport(
            code: 0,
            stderr: "bye\n[lambda-endpoint: run file shorter than recorded; the 8192 bytes of output after byte 0 could not be sent]\n"
        )
        #expect(delivery.outputRead(WrittenOutput(bytesWritten: 8192, finished: Self.bye), at: at(5)) == .send(.finished(lost), readAhead: nil))
    }
}

extension DeliveryCursor {
    /// A message answered with `status` (nil: no answer) was retried or refused for good.
    fileprivate mutating func notAcknowledged(retried: Bool, status: Int?, error: String) {
        if retried { retries += 1 } else { refusedMessages += 1 }
        if let status { lastStatusCode = status }
        lastDeliveryError = error
    }
}

extension DeliveryStateMachine {
    /// This machine's cursor with the next chunk's short length set.
    fileprivate func cursorWithShortChunk(_ length: Int) -> DeliveryCursor {
        var cursor = cursor
        cursor.shortChunkLength = length
        return cursor
    }
}
