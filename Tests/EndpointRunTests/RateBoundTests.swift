import EndpointTestSupport
import Foundation
import Testing

/// The event-rate bound (SPEC "Guardrails") with real bpftrace: a run whose probes record
/// more than its `maxEventsPerSecond` for `rate-limit-seconds` in a row stops itself,
/// prints `["rate-limit", events]` and its `finished` says so; a run below it is untouched.
@Suite("The event-rate bound", .serialized)
struct RateBoundTests {
    static let bashTemplate = #"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#
    static let note = "the tracer stopped itself: its probes recorded more than"

    func startBody(_ traceId: Int, lasting: Int, maxEventsPerSecond: String? = nil) -> String {
        #"{"traceT":"BPF","traceId":\#(traceId),"lasting":\#(lasting)\#(maxEventsPerSecond.map { #","maxEventsPerSecond":\#($0)"# } ?? "")}"#
    }

    /// The rate-limit tuples of a stream.
    func rateLimitTuples(_ stream: Data) throws -> [[TupleElement]] {
        try streamLines(stream).compactMap(\.data).filter { $0.first?.text == "rate-limit" }
    }

    @Test(
        "A template's probes on a busy bash above a start's maxEventsPerSecond: the run stops itself long before lasting, with the tuple, a finished that says so, complete"
    )
    func templateStopsItself() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["rate-limit-seconds": "2"])
        let busy = try busyBash(seconds: 30)
        defer { busy.send(SIGKILL) }
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let started = ContinuousClock.now
        let answer = try await endpoint.request("POST", "/trace/start", json: startBody(number, lasting: 60, maxEventsPerSecond: "100"))
        let filePath = try endpoint.okAnswer(answer, "POST /trace/start", as: StartAnswer.self).filePath
        let status = try await endpoint.waitForState(filePath, .running)
        #expect(status.maxEventsPerSecond == 100 && status.rateLimited == false)

        let received = try #require(await receiver.waitForFinished(filePath, timeout: 30), "the run ends itself")
        #expect(ContinuousClock.now - started < .seconds(20), "well before its 60 s")
        #expect(received.code == 0 && received.verdict == .complete, "\(received)")
        #expect(received.stderr?.contains("\(Self.note) 100 events a second for 2 seconds in a row") == true, "\(received.stderr ?? "")")
        let stream = try await receiver.stream(filePath)
        #expect(stream == FileManager.default.contents(atPath: filePath))
        let tuples = try rateLimitTuples(stream)
        #expect(tuples.count == 1)
        #expect((tuples.first?[1].number ?? 0) > 100, "the last second's events: \(tuples)")
        let finished = try await endpoint.waitForState(filePath, .delivered)
        #expect(finished.rateLimited)
        #expect(!String(decoding: stream, as: UTF8.self).contains("@lambda_"), "the bound's maps are never printed")
    }

    @Test("A run below the bound (the setting's, a few events) runs to its lasting, no tuple, no note")
    func belowTheBound() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["rate-limit-seconds": "1", "max-events-per-second": "5000"])
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 3)
        let status = try await endpoint.waitForState(filePath, .running)
        #expect(status.maxEventsPerSecond == 5000)
        _ = try runCommand("/bin/bash", ["-c", "for i in 1 2 3; do x=$(echo $i); done"])
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 20))
        #expect(received.code == 0 && received.verdict == .complete)
        #expect(received.stderr?.contains(Self.note) != true)
        let stream = try await receiver.stream(filePath)
        #expect(try rateLimitTuples(stream).isEmpty)
        #expect(try streamLines(stream).contains { $0.event == "entry" }, "the events were recorded")
        #expect(try await endpoint.waitForState(filePath, .delivered).rateLimited == false)
    }

    @Test("An analysis stops itself too: syscalls above 1 event a second ends with the tuple, END's maps and the note")
    func analysisStopsItself() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["rate-limit-seconds": "1"])
        let filePath = try await endpoint.startAnalysis(#"{"analysis":"syscalls","lasting":60,"maxEventsPerSecond":1}"#)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 20))
        #expect(received.code == 0 && received.verdict == .complete)
        #expect(received.stderr?.contains("\(Self.note) 1 events a second for 1 seconds in a row") == true, "\(received.stderr ?? "")")
        let lines = try streamLines(try await receiver.stream(filePath))
        #expect(lines.contains { $0.event == "rate-limit" } && lines.contains { $0.event == "end" })
        #expect(lines.contains { $0.type == "map" }, "END printed the counts")
    }

    @Test("maxEventsPerSecond above the setting, zero or not a whole number: 400 naming it on both starts, nothing runs")
    func refusals() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["max-events-per-second": "1000"])
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        for (value, error) in [
            (
                "1001",
                "maxEventsPerSecond: must be a whole number from 1 to 1000 (max-events-per-second: a start may ask for less, never more), got 1001"
            ),
            ("0", "maxEventsPerSecond: must be a whole number from 1 to 1000 (max-events-per-second: a start may ask for less, never more), got 0"),
        ] {
            let template = try await endpoint.request("POST", "/trace/start", json: startBody(number, lasting: 5, maxEventsPerSecond: value))
            #expect(template.status == 400 && (try? template.decoded(as: ErrorAnswer.self).error) == error, "\(template.body)")
            let analysis = try await endpoint.request(
                "POST",
                "/analysis/start",
                json: #"{"analysis":"syscalls","lasting":5,"maxEventsPerSecond":\#(value)}"#
            )
            #expect(analysis.status == 400 && (try? analysis.decoded(as: ErrorAnswer.self).error) == error, "\(analysis.body)")
        }
        let fraction = try await endpoint.request("POST", "/trace/start", json: startBody(number, lasting: 5, maxEventsPerSecond: "1.5"))
        #expect(fraction.status == 400 && fraction.body.contains("maxEventsPerSecond"), "\(fraction.body)")
        #expect(try await endpoint.runningRuns().isEmpty)
        // null is the setting's.
        let filePath = try endpoint.okAnswer(
            try await endpoint.request("POST", "/trace/start", json: startBody(number, lasting: 1, maxEventsPerSecond: "null")),
            "POST /trace/start",
            as: StartAnswer.self
        ).filePath
        #expect(try await endpoint.waitForState(filePath, .delivered, timeout: .seconds(20)).maxEventsPerSecond == 1000)
    }
}
