import EndpointTestSupport
import Foundation
import PlatformWire
import Testing

/// bpftrace's own notices in a run's stream: how many probes it attached, how many
/// events it lost. Real bpftrace where it can be made to say so on demand.
@Suite("Probes attached and events lost", .serialized)
struct TracerNoticeTests {
    @Test("A flooded bpftrace (three hot loops, a one-page ring buffer) loses events: eventsLost and the metric equal its lost_events lines")
    func lostEventsCounted() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let number = try await endpoint.putTemplate(
            #"{"process":"/bin/bash","functions":["xmalloc","xfree"],"environment":["BPFTRACE_PERF_RB_PAGES"],"value":["1"],"traceType":["BPF"]}"#
        )
        let loops = try (0..<3).map { _ in try busyBash(seconds: 10) }
        defer { for loop in loops { loop.send(SIGKILL) } }
        let filePath = try await endpoint.start(traceId: number, lasting: 3)
        let running = try await endpoint.waitForState(filePath, .running, timeout: .seconds(10))
        // BEGIN, an entry and a return probe per function, the alive and lasting intervals,
        // the rate bound's check and END.
        #expect(running.probesExpected == 9)
        #expect(running.probesAttached == 9)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 30))
        #expect(received.verdict == .complete && received.code == 0)
        let stream = try await receiver.stream(filePath)
        let reported = try streamLines(stream).filter { $0.type == "lost_events" }.count
        #expect(reported > 0, "bpftrace lost nothing: the flood was too weak to test the count")
        let lostInStream = Self.lostEvents(in: stream)
        let finished = try #require(try await endpoint.runStatus(filePath))
        #expect(finished.eventsLost == lostInStream)
        #expect(finished.probesAttached == 9)
        let page = try await endpoint.request("GET", "/metrics").body
        #expect(prometheusSample(page, "lambda_tracer_events_lost_total") == String(lostInStream))
        #expect(endpoint.process.standardError.contains("The tracer lost events"))
        // events-lost: coalesced (at most one per 10 s, the rest with the run's end), adding up to every event lost.
        let lost = try await receiver.runEvents(filePath).filter { $0.kind == "events-lost" }
        #expect(!lost.isEmpty && lost.count <= 2, "\(lost)")
        #expect(
            lost.reduce(Int64(0)) { sum, event in if case .integer(let count) = event.detail["count"] { sum + count } else { sum } } == lostInStream
        )
    }

    @Test("A run whose tracer attached fewer probes than its program has is stopped, and finished says which probes")
    func tooFewProbes() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["bpf-path": EndpointProcess.fixture("fake-tracer-attaches-too-few.sh")])
        let number = try await endpoint.putTemplate(#"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#)
        let filePath = try await endpoint.start(traceId: number, lasting: 30)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 15))
        #expect(received.verdict == .complete)
        let stderr = try #require(received.stderr)
        #expect(
            stderr.contains(
                "stopped: bpftrace attached 1 of the 7 probes of its program; one or more of these did not attach: BEGIN, uprobe:/bin/bash:xmalloc, uretprobe:/bin/bash:xmalloc, interval:s:2, interval:s:30, interval:s:1, END"
            ),
            "\(stderr)"
        )
        let finished = try #require(try await endpoint.runStatus(filePath))
        #expect(finished.probesExpected == 7 && finished.probesAttached == 1)
        #expect(finished.failure?.hasPrefix("stopped: bpftrace attached 1 of the 7 probes") == true)
        let events = try await receiver.runEvents(filePath)
        #expect(events.map(\.kind) == ["run-started", "probes-missing", "run-finished"])
        #expect(events.first { $0.kind == "probes-missing" }?.detail["attached"] == .integer(1))
        #expect(events.first { $0.kind == "probes-missing" }?.detail["expected"] == .integer(7))
    }

    @Test("bpftrace's limits come from the settings unless the template sets them, reach the tracer and show in the status")
    func limitsReachTheTracer() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            lambda: ["bpf-path": EndpointProcess.fixture("fake-tracer-print-environment.sh"), "bpf-map-keys-max": "1000"]
        )
        let number = try await endpoint.putTemplate(
            #"{"process":"/bin/bash","functions":["xmalloc"],"environment":["BPFTRACE_STRLEN"],"value":["100"],"traceType":["BPF"]}"#
        )
        let filePath = try await endpoint.start(traceId: number, lasting: 30)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 15))
        #expect(received.verdict == .complete)
        let text = String(decoding: try await receiver.stream(filePath), as: UTF8.self)
        for line in [#"{"env": "BPFTRACE_MAP_KEYS_MAX=1000"}"#, #"{"env": "BPFTRACE_MAX_PROBES=512"}"#, #"{"env": "BPFTRACE_STRLEN=100"}"#] {
            #expect(text.contains(line), "\(line) not in the tracer's environment")
        }
        let finished = try #require(try await endpoint.runStatus(filePath))
        #expect(finished.tracerLimits == ["BPFTRACE_MAP_KEYS_MAX": 1000, "BPFTRACE_MAX_PROBES": 512, "BPFTRACE_STRLEN": 100])
    }

    @Test("Real bpftrace obeys bpf-max-probes: a program over it is refused by bpftrace and the run says why")
    func maxProbesObeyed() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["bpf-max-probes": "2"])
        let number = try await endpoint.putTemplate(#"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#)
        let filePath = try await endpoint.start(traceId: number, lasting: 5)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 20))
        #expect(received.code != 0)
        #expect(received.stderr?.contains("exceeds the current limit of 2 probes") == true, "\(received.stderr ?? "")")
    }

    /// The sum of the stream's `{"type": "lost_events", "data": {"events": N}}` lines.
    static func lostEvents(in stream: Data) -> Int64 {
        struct Notice: Decodable {
            struct Count: Decodable { let events: Int64 }
            let type: String
            let data: Count?
        }
        return String(decoding: stream, as: UTF8.self).split(separator: "\n").reduce(0) { sum, line in
            guard let notice = try? JSONDecoder().decode(Notice.self, from: Data(line.utf8)), notice.type == "lost_events" else { return sum }
            return sum + (notice.data?.events ?? 0)
        }
    }
}
