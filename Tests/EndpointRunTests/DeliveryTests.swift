import EndpointTestSupport
import Foundation
import Hummingbird
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

    /// The stream of a fake counter: the ready line, then count lines 0, 1, 2, ... with no
    /// hole and nothing out of order.
    func expectCounterStream(_ stream: Data) {
        let lines = ndjsonLines(stream) ?? []
        #expect(!lines.isEmpty, "the stream is not NDJSON")
        let counts = lines.compactMap { ($0["data"] as? [Any]).flatMap { $0.first as? String == "count" ? $0[1] as? Int : nil } }
        #expect(!counts.isEmpty)
        #expect(counts == Array(0..<counts.count), "a hole or a reordering in the stream")
    }

    func expectDelivered(_ received: ReceivedTrace?, receiver: LiveReceiver, filePath: String) async throws -> ReceivedTrace {
        let received = try #require(received)
        #expect(received.gaps.isEmpty && received.conflicts.isEmpty && received.protocolErrors.isEmpty && received.irregularChunks.isEmpty, "\(received)")
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
        try await Task.sleep(for: .seconds(2))
        proxy.set(.refuse)
        try await Task.sleep(for: .seconds(Self.outageSeconds))
        let duringOutage = try #require(try await endpoint.runStatus(filePath))
        #expect((duringOutage["retries"] as? Int ?? 0) > 0)
        #expect((duringOutage["lastDeliveryError"] as? String)?.hasPrefix("cannot reach the platform") == true)
        proxy.set(.forward)
        try await Task.sleep(for: .seconds(2))
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
        try await Task.sleep(for: .seconds(6))
        let received = try await killAndCollect(endpoint, filePath, receiver: receiver, timeout: 30)
        #expect(received.verdict == .complete)
        #expect((try await endpoint.runStatus(filePath)?["retries"] as? Int ?? 0) > 0)
    }

    @Test("Connections closed without an answer for a while: retried, complete stream")
    func connectionsClosed() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let proxy = try PlatformProxy(target: receiver.port)
        defer { proxy.stop() }
        let (endpoint, filePath) = try await startCounterRun(receiver: receiver, lambda: ["platform-url": proxy.url])
        try await Task.sleep(for: .seconds(1))
        proxy.set(.refuse)
        proxy.set(.closeWithoutAnswer)
        try await Task.sleep(for: .seconds(4))
        proxy.set(.forward)
        try await Task.sleep(for: .seconds(1))
        let received = try await killAndCollect(endpoint, filePath, receiver: receiver, timeout: 60)
        #expect(received.verdict == .complete)
        #expect((try await endpoint.runStatus(filePath)?["retries"] as? Int ?? 0) > 0)
    }

    @Test("A platform answering after 2 s per request: slow, complete, and the tracer never waits")
    func slowPlatform() async throws {
        let receiver = try await LiveReceiver(fault: { _ in
            try? await Task.sleep(for: .seconds(2))
            return nil
        })
        defer { receiver.stop() }
        let (endpoint, filePath) = try await startCounterRun(receiver: receiver, lambda: ["submit-chunk-size": "16384"])
        try await Task.sleep(for: .seconds(3))
        let status = try #require(try await endpoint.runStatus(filePath))
        // Output kept reaching the file while the platform took one message per 2 s.
        let acknowledged = status["bytesAcknowledged"] as? Int ?? 0
        #expect((status["bytesRead"] as? Int ?? 0) > acknowledged + 16384)
        #expect((status["chunksAcknowledged"] as? Int ?? 99) <= 1)
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
        try await Task.sleep(for: .seconds(2))
        try await endpoint.kill(filePath)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 30))
        #expect(received.gaps == [2])
        #expect(received.verdict == .incomplete)
        #expect(received.code == 0)
        #expect(attempts.withLock { $0 } == 1, "a refused chunk was sent again")
        let status = try #require(try await endpoint.runStatus(filePath))
        #expect(status["refusedMessages"] as? Int == 1)
        #expect(status["lastDeliveryError"] as? String == "platform refused a message with 400; not retried")
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
        let (endpoint, filePath) = try await startCounterRun(receiver: receiver)
        try await Task.sleep(for: .seconds(3))
        let before = try #require(try await endpoint.runStatus(filePath))
        #expect((before["chunksAcknowledged"] as? Int ?? 0) > 0)
        endpoint.process.send(SIGKILL)
        #expect(endpoint.process.waitForExit(timeout: 5) == 128 + SIGKILL)
        // The tracer dies of SIGPIPE at its next write.
        try await Task.sleep(for: .milliseconds(500))
        #expect(processes(containing: "fake-tracer-counter.sh").isEmpty)
        #expect(await receiver.store.trace(filePath)?.verdict == .receiving)

        try endpoint.restart()
        let received = try await expectDelivered(await receiver.waitForFinished(filePath, timeout: 60), receiver: receiver, filePath: filePath)
        #expect(received.code == -1)
        #expect(received.stderr?.contains("the endpoint restarted while this tracer ran") == true)
        let status = try #require(try await endpoint.runStatus(filePath))
        #expect(status["state"] as? String == "delivered")
        #expect(status["resumed"] as? Bool == true, "the run was picked up again after the restart")
    }

    @Test("SIGTERM during a run: tracers stopped, finished delivered (or resumed at the next start), exit 0")
    func sigtermDuringRun() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let (endpoint, filePath) = try await startCounterRun(receiver: receiver)
        try await Task.sleep(for: .seconds(2))
        endpoint.process.send(SIGTERM)
        #expect(endpoint.process.waitForExit(timeout: 20) == 0)
        #expect(processes(containing: "fake-tracer-counter.sh").isEmpty)
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
        let endpoint = try EndpointProcess(receiver: receiver, lambda: [
            "bpf-path": EndpointProcess.fixture("fake-tracer-fast-writer.sh"), "max-spool-bytes": "1048576",
            "submit-retry-initial": "0.1", "submit-retry-max": "0.5", "kill-grace-seconds": "1", "submit-chunk-size": "1048576",
        ])
        let number = try await endpoint.putTemplate(Self.template)
        let filePath = try await endpoint.start(traceId: number, lasting: 120)
        #expect(try await endpoint.waitForState(filePath, "delivering", timeout: 20))
        let status = try #require(try await endpoint.runStatus(filePath))
        let written = status["bytesRead"] as? Int ?? 0
        #expect(written >= 1_048_576 && written < 64 << 20, "stopped at \(written) bytes")
        #expect((status["failure"] as? String)?.contains("max-spool-bytes") == true)
        paused.withLock { $0 = false }
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 60))
        #expect(received.bytes == Int64(written))
        #expect(try await receiver.stream(filePath) == FileManager.default.contents(atPath: filePath))
        #expect(received.stderr?.contains("stopped: max-spool-bytes (1048576 bytes of undelivered output) reached") == true)
    }

    @Test("Retention: the run file goes once finished is acknowledged; the outcome stays in /traces/finished, also after a restart")
    func retention() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let (endpoint, filePath) = try await startCounterRun(receiver: receiver, lambda: ["keep-run-files": "false"])
        try await Task.sleep(for: .seconds(1))
        try await endpoint.kill(filePath)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 30))
        #expect(received.verdict == .complete)
        try await Task.sleep(for: .milliseconds(300))
        #expect(!FileManager.default.fileExists(atPath: filePath))
        endpoint.process.send(SIGTERM)
        #expect(endpoint.process.waitForExit(timeout: 20) == 0)
        try endpoint.restart()
        let finished = try await endpoint.request("GET", "/traces/finished")
        let runs = try #require(finished.json as? [[String: Any]])
        let run = try #require(runs.first { $0["filePath"] as? String == filePath })
        #expect(run["state"] as? String == "delivered")
        #expect(run["exitCode"] as? Int == 0)
        #expect(run["chunksAcknowledged"] as? Int == received.chunks)
    }

    @Test("Memory stays bounded while a fake tracer writes 1 GiB to a platform that is down")
    func memoryBounded() async throws {
        let receiver = try await LiveReceiver(fault: { _ in .serviceUnavailable })
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: [
            "bpf-path": EndpointProcess.fixture("fake-tracer-fast-writer.sh"), "max-spool-bytes": "2147483648",
            "submit-retry-initial": "0.1", "submit-retry-max": "0.5", "keep-run-files": "false",
        ])
        let number = try await endpoint.putTemplate(Self.template)
        let filePath = try await endpoint.start(traceId: number, lasting: 300)
        var peakKiB = 0
        let deadline = Date().addingTimeInterval(120)
        var written = 0
        while Date() < deadline {
            peakKiB = max(peakKiB, endpoint.residentKiB ?? 0)
            let status = try await endpoint.runStatus(filePath)
            written = status?["bytesRead"] as? Int ?? 0
            if status?["state"] as? String == "delivering" { break }
            try await Task.sleep(for: .milliseconds(100))
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
