import EndpointTestSupport
import Foundation
import Hummingbird
import PlatformWire
import SubmitReceiver
import Synchronization
import Testing

/// Delivery through platform faults and endpoint crashes: real processes, real HTTP,
/// faults injected at the receiver.
@Suite("Delivery guarantees", .serialized)
struct DeliveryTests {
    static let outageSeconds = Int(ProcessInfo.processInfo.environment["LAMBDA_TEST_OUTAGE_SECONDS"] ?? "30") ?? 30
    static let template = #"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#
    /// Small chunks, quick retries: many chunks cross each fault.
    static let fast: [String: String?] = [
        "bpf-path": EndpointProcess.fixture("fake-tracer-counter.sh"), "submit-chunk-size": "1024",
        "submit-retry-initial": "0.1", "submit-retry-max": "1", "kill-grace-seconds": "2",
    ]

    /// The stream of a fake counter: the ready line, the endpoint's binary line, then count
    /// lines 0, 1, 2, ... with no hole and nothing out of order.
    func expectCounterStream(_ stream: Data) {
        let lines: [StreamLine]
        do {
            lines = try streamLines(stream)
        } catch {
            Issue.record(error)
            return
        }
        #expect(lines.first?.event == "ready", "the stream starts with the ready line")
        #expect(lines.dropFirst().first?.event == "binary", "the binary line follows it")
        let countLines = lines.filter { $0.event == "count" }
        #expect(countLines.count == lines.count - 2, "only count lines follow the ready and binary lines")
        let counts = countLines.map { $0.data?.dropFirst().first?.number }
        #expect(!counts.isEmpty)
        #expect(counts == (0..<Int64(counts.count)).map { $0 }, "a hole or a reordering in the stream")
    }

    func expectDelivered(_ received: ReceivedTrace?, receiver: LiveReceiver, filePath: String) async throws -> ReceivedTrace {
        let received = try #require(received)
        #expect(
            received.gaps.isEmpty && received.conflicts.isEmpty && received.protocolErrors.isEmpty && received.irregularChunks.isEmpty,
            "\(received)"
        )
        let stream = try await receiver.stream(filePath)
        #expect(stream == FileManager.default.contents(atPath: filePath), "delivered bytes differ from the run file")
        expectCounterStream(stream)
        return received
    }

    /// A fresh endpoint running the fake counter tracer; returns it with the run's file.
    func startCounterRun(receiver: LiveReceiver, lambda: [String: String?] = [:]) async throws -> (EndpointProcess, String) {
        let endpoint = try EndpointProcess(receiver: receiver, lambda: Self.fast.merging(lambda) { $1 })
        let number = try await endpoint.putTemplate(Self.template)
        return (endpoint, try await endpoint.start(traceId: number, lasting: 120))
    }

    /// Waits until the platform has acknowledged more than `chunks` of the run's chunks:
    /// delivery is under way (or under way again after a fault).
    @discardableResult
    func waitForAcknowledgements(
        beyond chunks: Int = 0,
        _ endpoint: EndpointProcess,
        _ filePath: String,
        timeout: Duration = .seconds(30)
    ) async throws -> RunStatusAnswer {
        try await eventuallyValue("more than \(chunks) chunks of \(filePath) acknowledged", timeout: timeout) {
            try await endpoint.runStatus(filePath).flatMap { $0.chunksAcknowledged > chunks ? $0 : nil }
        }
    }

    /// Kills the run and returns what the receiver got, checked as a contiguous stream
    /// equal to the run file.
    func killAndCollect(_ endpoint: EndpointProcess, _ filePath: String, receiver: LiveReceiver, timeout: Double = 60) async throws -> ReceivedTrace {
        try await endpoint.kill(filePath)
        return try await expectDelivered(await receiver.waitForFinished(filePath, timeout: timeout), receiver: receiver, filePath: filePath)
    }

    @Test("Platform down (connection refused) for 30 s mid-run, then back: complete contiguous stream")
    func platformDownThirtySeconds() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let proxy = try PlatformProxy(target: receiver.port)
        defer { proxy.stop() }
        let (endpoint, filePath) = try await startCounterRun(receiver: receiver, lambda: ["platform-url": proxy.url])
        try await waitForAcknowledgements(endpoint, filePath)
        proxy.set(.refuse)
        // The outage's length is the point: the tracer keeps writing all along.
        try await Task.sleep(for: .seconds(Self.outageSeconds))
        let duringOutage = try #require(try await endpoint.runStatus(filePath))
        #expect(duringOutage.retries > 0)
        #expect(duringOutage.lastDeliveryError?.hasPrefix("cannot reach the platform") == true, "\(duringOutage.lastDeliveryError ?? "no error")")
        proxy.set(.forward)
        try await waitForAcknowledgements(beyond: duringOutage.chunksAcknowledged, endpoint, filePath)
        let received = try await killAndCollect(endpoint, filePath, receiver: receiver, timeout: 60)
        #expect(received.verdict == .complete, "\(endpoint.process.standardError.suffix(3000))")
        #expect(received.bytes > Int64(Self.outageSeconds * 20_000), "the tracer should have kept writing during the outage")
    }

    @Test("503 with Retry-After for a while, then acknowledgements: complete stream, retries counted")
    func serviceUnavailable() async throws {
        let until = Date().addingTimeInterval(4)
        let receiver = try await LiveReceiver(fault: { _ in Date() < until ? .serviceUnavailable : nil })
        defer { receiver.stop() }
        let (endpoint, filePath) = try await startCounterRun(receiver: receiver)
        // Every message is answered 503 for the first 4 s: the first acknowledgement comes after.
        try await waitForAcknowledgements(endpoint, filePath)
        let received = try await killAndCollect(endpoint, filePath, receiver: receiver, timeout: 30)
        #expect(received.verdict == .complete)
        #expect(try #require(try await endpoint.runStatus(filePath)).retries > 0)
    }

    @Test("Connections closed without an answer for a while: retried, complete stream")
    func connectionsClosed() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let proxy = try PlatformProxy(target: receiver.port)
        defer { proxy.stop() }
        let (endpoint, filePath) = try await startCounterRun(receiver: receiver, lambda: ["platform-url": proxy.url])
        try await waitForAcknowledgements(endpoint, filePath)
        proxy.set(.refuse)
        proxy.set(.closeWithoutAnswer)
        // The fault lasts 4 s on purpose: many chunks meet it.
        try await Task.sleep(for: .seconds(4))
        let afterFault = try #require(try await endpoint.runStatus(filePath))
        proxy.set(.forward)
        try await waitForAcknowledgements(beyond: afterFault.chunksAcknowledged, endpoint, filePath)
        let received = try await killAndCollect(endpoint, filePath, receiver: receiver, timeout: 60)
        #expect(received.verdict == .complete)
        #expect(try #require(try await endpoint.runStatus(filePath)).retries > 0)
    }

    @Test("A platform answering after 2 s per request: slow, complete, and the tracer never waits")
    func slowPlatform() async throws {
        let receiver = try await LiveReceiver(fault: { _ in
            // The platform's slowness is the point: 2 s before each answer.
            try? await Task.sleep(for: .seconds(2))
            return nil
        })
        defer { receiver.stop() }
        let (endpoint, filePath) = try await startCounterRun(receiver: receiver, lambda: ["submit-chunk-size": "16384"])
        // Output keeps reaching the file while the platform takes one message per 2 s.
        let status = try await eventuallyValue("the run's output gets more than a chunk ahead of the platform", timeout: .seconds(10)) {
            try await endpoint.runStatus(filePath).flatMap { $0.bytesRead > $0.bytesAcknowledged + 16384 ? $0 : nil }
        }
        #expect(status.chunksAcknowledged <= 1, "the platform took one message per 2 s meanwhile")
        let received = try await killAndCollect(endpoint, filePath, receiver: receiver, timeout: 60)
        #expect(received.verdict == .complete)
    }

    @Test("400 to one chunk: refused for good, not retried, counted on the run; the rest is delivered")
    func oneChunkRefused() async throws {
        let attempts = Locked(0)
        let receiver = try await LiveReceiver(fault: { message in
            guard case .chunk(_, 2, _) = message else { return nil }
            attempts.withLock { $0 += 1 }
            return .badRequest
        })
        defer { receiver.stop() }
        let (endpoint, filePath) = try await startCounterRun(receiver: receiver)
        try await waitForAcknowledgements(beyond: 3, endpoint, filePath)
        try await endpoint.kill(filePath)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 30))
        #expect(received.gaps == [2])
        #expect(received.verdict == .incomplete)
        #expect(received.code == 0)
        #expect(attempts.withLock { $0 } == 1, "a refused chunk was sent again")
        let status = try #require(try await endpoint.runStatus(filePath))
        #expect(status.refusedMessages == 1)
        #expect(status.lastDeliveryError == "platform refused a message with 400; not retried")
        let page = try await endpoint.request("GET", "/metrics").body
        #expect(prometheusSample(page, "lambda_delivery_refused_total") == "1")
        #expect(prometheusSample(page, #"lambda_runs_finished_total{tracer="BPF",outcome="ok"}"#) == "1")
    }

    @Test("Endpoint SIGKILLed mid-run and started again: the run resumes and completes, duplicates only at-least-once")
    func sigkillAndResume() async throws {
        let receiver = try await LiveReceiver(fault: { _ in
            // Slow enough that unacknowledged output piles up before the kill.
            try? await Task.sleep(for: .milliseconds(20))
            return nil
        })
        defer { receiver.stop() }
        // The run ends at the restart (resume-runs: false), as every run did before runs
        // outlived a restart: what is tested is the delivery resumed mid-stream.
        let (endpoint, filePath) = try await startCounterRun(receiver: receiver, lambda: ["resume-runs": "false"])
        // Well under way (the slow platform has taken 50 chunks, about 2 s) with output
        // still unacknowledged: the restart resumes mid-stream and sends some of it again.
        try await eventually("50 chunks acknowledged and more output waiting", timeout: .seconds(15)) {
            guard let status = try await endpoint.runStatus(filePath) else { return false }
            return status.chunksAcknowledged >= 50 && status.bytesRead > status.bytesAcknowledged
        }
        endpoint.process.send(SIGKILL)
        #expect(endpoint.process.waitForExit(timeout: 5) == 128 + SIGKILL)
        try await eventually("the tracer dies of SIGPIPE at its next write", timeout: .seconds(5)) {
            processes(containing: EndpointProcess.fixture("fake-tracer-counter.sh")).isEmpty
        }
        #expect(await receiver.store.trace(filePath)?.verdict == .receiving)

        try endpoint.restart()
        let received = try await expectDelivered(await receiver.waitForFinished(filePath, timeout: 60), receiver: receiver, filePath: filePath)
        #expect(received.code == -1)
        #expect(received.stderr?.contains("the endpoint restarted while this tracer ran") == true)
        let status = try #require(try await endpoint.runStatus(filePath))
        #expect(status.state == .delivered)
        #expect(status.resumed, "the run was picked up again after the restart")
    }

    @Test("SIGTERM during a run: tracers stopped, finished delivered (or resumed at the next start), exit 0")
    func sigtermDuringRun() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        // The run ends at the stop (resume-runs: false); a run relaunched after a graceful
        // stop is RunRelaunchTests'.
        let (endpoint, filePath) = try await startCounterRun(receiver: receiver, lambda: ["resume-runs": "false"])
        try await waitForAcknowledgements(endpoint, filePath)
        endpoint.process.send(SIGTERM)
        #expect(endpoint.process.waitForExit(timeout: 20) == 0)
        #expect(processes(containing: EndpointProcess.fixture("fake-tracer-counter.sh")).isEmpty)
        if await receiver.store.trace(filePath)?.verdict == .receiving {
            try endpoint.restart()
        }
        let received = try await expectDelivered(await receiver.waitForFinished(filePath, timeout: 30), receiver: receiver, filePath: filePath)
        #expect(received.verdict == .complete)
        #expect(received.code == 0)
    }

    @Test("max-spool-bytes reached while the platform is away: the run is stopped, says why, and loses no byte")
    func spoolCap() async throws {
        let paused = Locked(true)
        let receiver = try await LiveReceiver(fault: { _ in paused.withLock { $0 } ? .serviceUnavailable : nil })
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            lambda: [
                "bpf-path": EndpointProcess.fixture("fake-tracer-fast-writer.sh"), "max-spool-bytes": "1048576",
                "submit-retry-initial": "0.1", "submit-retry-max": "0.5", "kill-grace-seconds": "1", "submit-chunk-size": "1048576",
            ]
        )
        let number = try await endpoint.putTemplate(Self.template)
        let filePath = try await endpoint.start(traceId: number, lasting: 120)
        let status = try await endpoint.waitForState(filePath, .delivering, timeout: .seconds(20))
        let written = status.bytesRead
        #expect(written >= 1_048_576 && written < 64 << 20, "stopped at \(written) bytes")
        #expect(status.failure?.contains("max-spool-bytes") == true, "\(status.failure ?? "no failure")")
        paused.withLock { $0 = false }
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 60))
        #expect(received.bytes == written)
        #expect(try await receiver.stream(filePath) == FileManager.default.contents(atPath: filePath))
        #expect(received.stderr?.contains("stopped: max-spool-bytes (1048576 bytes of undelivered output) reached") == true)
        let events = try await receiver.runEvents(filePath)
        #expect(events.map(\.kind) == ["run-started", "spool-full", "run-finished"])
        #expect(events.first { $0.kind == "spool-full" }?.detail["maxSpoolBytes"] == .integer(1_048_576))
    }

    @Test("Retention: the run file goes once finished is acknowledged; the outcome stays in /traces/finished, also after a restart")
    func retention() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let (endpoint, filePath) = try await startCounterRun(receiver: receiver, lambda: ["keep-run-files": "false"])
        try await waitForAcknowledgements(endpoint, filePath)
        try await endpoint.kill(filePath)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 30))
        #expect(received.verdict == .complete)
        try await eventually("the run file is removed once finished is acknowledged", timeout: .seconds(5)) {
            !FileManager.default.fileExists(atPath: filePath)
        }
        endpoint.process.send(SIGTERM)
        #expect(endpoint.process.waitForExit(timeout: 20) == 0)
        try endpoint.restart()
        let run = try #require(try await endpoint.finishedRuns().first { $0.filePath == filePath })
        #expect(run.state == .delivered)
        #expect(run.exitCode == 0)
        #expect(run.chunksAcknowledged == received.chunks)
    }

    @Test("Memory stays bounded while a fake tracer writes 1 GiB to a platform that is down")
    func memoryBounded() async throws {
        let receiver = try await LiveReceiver(fault: { _ in .serviceUnavailable })
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            lambda: [
                "bpf-path": EndpointProcess.fixture("fake-tracer-fast-writer.sh"), "max-spool-bytes": "2147483648",
                "submit-retry-initial": "0.1", "submit-retry-max": "0.5", "keep-run-files": "false",
            ]
        )
        let number = try await endpoint.putTemplate(Self.template)
        let filePath = try await endpoint.start(traceId: number, lasting: 300)
        var peakKiB = 0
        var written: Int64 = 0
        // Resident memory sampled at every ask, until the tracer's 1 GiB is read.
        try await eventually("the fake tracer's output read and the run delivering", timeout: .seconds(120), poll: .milliseconds(100)) {
            peakKiB = max(peakKiB, endpoint.residentKiB ?? 0)
            let status = try await endpoint.runStatus(filePath)
            written = status?.bytesRead ?? 0
            return status?.state == .delivering
        }
        #expect(written >= 1 << 30)
        #expect(peakKiB > 0 && peakKiB < 256 * 1024, "peak RSS \(peakKiB) KiB")
        print("memoryBounded: peak RSS \(peakKiB / 1024) MiB while 1 GiB was spooled")
        endpoint.process.send(SIGKILL)
        try? FileManager.default.removeItem(atPath: filePath)
    }
}

/// A value shared with a receiver fault closure.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<Result: Sendable>(_ body: (inout sending Value) -> sending Result) -> Result { mutex.withLock(body) }
}
