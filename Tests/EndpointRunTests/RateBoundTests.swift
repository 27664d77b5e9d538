import EndpointTestSupport
import Foundation
import PlatformWire
import SubmitReceiver
import Testing

/// The event-rate bound (docs/guardrails.md) with real bpftrace: a run whose probes fire
/// more than its `maxEventsPerSecond` in `rate-limit-seconds` of the last
/// `rate-limit-window-seconds` seconds stops itself, prints `["rate-limit", events]` and its
/// `finished` says so; a run below it is untouched. Every fire counts, also one the
/// target's filter drops.
@Suite("The event-rate bound", .serialized)
struct RateBoundTests {
    static let bashTemplate = #"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#
    static let note = "the tracer stopped itself: its probes fired more than"

    func startBody(_ traceId: Int, lasting: Int, maxEventsPerSecond: String? = nil, target: String? = nil) -> String {
        let bound = maxEventsPerSecond.map { #","maxEventsPerSecond":\#($0)"# } ?? ""
        return #"{"traceT":"BPF","traceId":\#(traceId),"lasting":\#(lasting)\#(bound)\#(target.map { #","target":\#($0)"# } ?? "")}"#
    }

    /// Stores the bash template, starts it on `container` at 100 events a second for
    /// `lasting` seconds and waits for its `finished`: the run, what arrived, how long it took.
    func runOn(
        _ container: HomeMadeContainer,
        _ endpoint: EndpointProcess,
        _ receiver: LiveReceiver,
        lasting: Int
    ) async throws -> (filePath: String, received: ReceivedTrace, took: Duration) {
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let started = ContinuousClock.now
        let body = startBody(number, lasting: lasting, maxEventsPerSecond: "100", target: #"{"container":"\#(container.id)"}"#)
        let answer = try await endpoint.request("POST", "/trace/start", json: body)
        let filePath = try endpoint.okAnswer(answer, "POST /trace/start", as: StartAnswer.self).filePath
        let received = try #require(await receiver.waitForFinished(filePath, timeout: Double(lasting + 20)), "the run ends")
        return (filePath, received, ContinuousClock.now - started)
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
        #expect(received.stderr?.contains("\(Self.note) 100 times a second in 2 of the last 10 seconds") == true, "\(received.stderr ?? "")")
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
        #expect(received.stderr?.contains("\(Self.note) 1 times a second in 1 of the last 10 seconds") == true, "\(received.stderr ?? "")")
        let lines = try streamLines(try await receiver.stream(filePath))
        #expect(lines.contains { $0.event == "rate-limit" } && lines.contains { $0.event == "end" })
        #expect(lines.contains { $0.type == "map" }, "END printed the counts")
        let events = try await receiver.runEvents(filePath)
        #expect(events.map(\.kind) == ["run-started", "rate-limited", "run-finished"])
        #expect(events.first?.detail["analysis"] == .string("syscalls"))
        #expect(events.first { $0.kind == "rate-limited" }?.detail["maxEventsPerSecond"] == .integer(1))
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

    /// Runs `/bin/bash` of `container`'s root (its own copy, which no other process on the
    /// machine runs: the probes fire for this test's processes only) from the test's
    /// cgroup, outside the container's.
    func sameFileOutside(_ container: HomeMadeContainer) throws -> SpawnedProcess {
        try SpawnedProcess(executable: "/usr/sbin/chroot", arguments: [container.rootDirectory, "/bin/bash", "-c", HomeMadeContainer.busyCommand])
    }

    @Test(
        "A targeted uprobe counts the fires its filter drops: a busy bash outside the container, running the container's file, stops an idle container's run",
        .enabled(if: getuid() == 0, "needs root to make cgroups and namespaces")
    )
    func targetedCountsFiresOutsideTheTarget() async throws {
        let container = try HomeMadeContainer()
        defer { container.remove() }
        let outside = try sameFileOutside(container)
        defer { outside.send(SIGKILL) }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["rate-limit-seconds": "2"])
        let (filePath, received, took) = try await runOn(container, endpoint, receiver, lasting: 20)
        #expect(took < .seconds(12), "stopped by the bound, well before its 20 s")
        #expect(received.code == 0 && received.verdict == .complete, "\(received)")
        #expect(received.stderr?.contains("\(Self.note) 100 times a second in 2 of the last 10 seconds") == true, "\(received.stderr ?? "")")
        let stream = try await receiver.stream(filePath)
        #expect(try rateLimitTuples(stream).count == 1)
        let lines = try streamLines(stream)
        #expect(!lines.contains { $0.event == "entry" || $0.event == "return" }, "the outside bash's events were filtered out, only counted")
        #expect(try await endpoint.waitForState(filePath, .delivered).rateLimited)
    }

    /// A container's bash busy for 0.9 s, then idle (bash's own `read -t` on the root's
    /// FIFO) for 2.2 s, which always holds a whole second of the check's: never 3 seconds
    /// in a row above the bound, but 3 of the last 10 within about two cycles.
    static let burstsCommand =
        "while :; do end=$(( ${EPOCHREALTIME/./} + 900000 )); while (( ${EPOCHREALTIME/./} < end )); do x=$(echo a b c); done; read -t 2.2 _ <> /hold; done"

    @Test(
        "A load above the bound most seconds but never 3 in a row stops the run: 3 of the last 10 seconds",
        .enabled(if: getuid() == 0, "needs root to make cgroups and namespaces")
    )
    func windowCatchesBursts() async throws {
        let container = try HomeMadeContainer(command: Self.burstsCommand)
        defer { container.remove() }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["rate-limit-seconds": "3", "rate-limit-window-seconds": "10"])
        let (filePath, received, took) = try await runOn(container, endpoint, receiver, lasting: 30)
        #expect(took < .seconds(20), "stopped by the window, before its 30 s")
        #expect(received.stderr?.contains("\(Self.note) 100 times a second in 3 of the last 10 seconds") == true, "\(received.stderr ?? "")")
        let lines = try streamLines(try await receiver.stream(filePath))
        // The events' own clock: whole seconds with and without events, to show the bursts.
        let seconds = Set(lines.compactMap(\.data).filter { $0.first?.text == "entry" }.compactMap { $0[7].number.map { $0 / 1_000_000_000 } })
        let span = (seconds.min() ?? 0)...(seconds.max() ?? 0)
        #expect(span.count > seconds.count, "idle seconds between the bursts: \(seconds.sorted())")
    }
}
