import Authentication
import EndpointTestSupport
import Foundation
import FoundationNetworking
import HTTPTypes
import PlatformWire
import SubmitReceiver
import Testing

/// The endpoint's events (`POST <platform-url>/events`), end to end: a real endpoint,
/// real bpftrace, the reference receiver on loopback, whose `/events` route is made to
/// refuse on purpose (`ReceivedEvents.misbehave`) where a test needs the platform down.
@Suite("Endpoint events", .serialized)
struct EndpointEventTests {
    /// Every batch the receiver's `/events` was posted, and what it answered.
    actor PostLog {
        private(set) var refused: [EndpointEvent] = []
        private(set) var accepted: [EndpointEvent] = []
        var answer: HTTPResponse.Status?

        func note(_ batch: [EndpointEvent]) -> HTTPResponse.Status? {
            if answer == nil { accepted += batch } else { refused += batch }
            return answer
        }
        func answer(_ status: HTTPResponse.Status?) { answer = status }
        func acceptedCount(_ id: String) -> Int { accepted.count { $0.id == id } }
    }

    static let bashTemplate = #"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#
    /// A fast backoff (0.2 s to 1 s) for /submit and for /events.
    static let fastRetries: [String: String?] = ["submit-retry-initial": "0.2", "submit-retry-max": "1"]

    func receiverLogging(_ log: PostLog) async throws -> LiveReceiver {
        let receiver = try await LiveReceiver()
        await receiver.store.events.misbehave { batch in await log.note(batch) }
        return receiver
    }

    func events(_ receiver: LiveReceiver, _ kind: EndpointEvent.Kind, run: String? = nil) async -> [EndpointEvent] {
        await receiver.store.events.events().filter { $0.kind == kind.rawValue && (run == nil || $0.run == run) }
    }

    @Test("A run's run-started and run-finished arrive once each, with its run, process and code; endpoint-started arrives at start, without secrets")
    func runEventsArrive() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let started = try await eventuallyValue("endpoint-started arrives", timeout: .seconds(10)) {
            await events(receiver, .endpointStarted).first
        }
        #expect(started.detail["version"] == .string(Registration.endpointVersion))
        #expect(started.detail["control"] == .string("push"))
        #expect(started.detail["hostname"]?.text?.isEmpty == false, "a push endpoint's platform learns its host name from it")
        #expect(started.run == nil)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 1)
        _ = try #require(await receiver.waitForFinished(filePath, timeout: 60))
        try await eventually("run-finished arrives", timeout: .seconds(10)) { await !events(receiver, .runFinished, run: filePath).isEmpty }
        let all = await receiver.store.events.events()
        let runStarted = await events(receiver, .runStarted, run: filePath)
        let runFinished = await events(receiver, .runFinished, run: filePath)
        #expect(runStarted.count == 1 && runFinished.count == 1, "\(all)")
        #expect(runStarted.first?.detail["process"] == .string("/bin/bash"))
        #expect(runStarted.first?.detail["tracer"] == .string("BPF"))
        #expect(runStarted.first?.detail["lasting"] == .integer(1))
        #expect(runFinished.first?.detail == ["code": .integer(0)])
        let order = all.map(\.id)
        #expect(order.firstIndex(of: runStarted[0].id)! < order.firstIndex(of: runFinished[0].id)!)
        #expect(await events(receiver, .endpointStarted).count == 1)
        let text = String(decoding: try JSONEncoder().encode(all), as: UTF8.self)
        #expect(!text.contains(TestConfigDirectory.secret.trimmingCharacters(in: CharacterSet(charactersIn: "\""))))
    }

    @Test("SIGTERM while a run traces: the run's run-finished reaches the platform before the endpoint exits")
    func shutdownSendsTheLastEvents() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        // The run ends at the stop (resume-runs: false); one relaunched at the next start
        // sends its run-finished at its real end instead (RunRelaunchTests).
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["resume-runs": "false"])
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 60)
        _ = try await endpoint.waitForState(filePath, .running)
        endpoint.process.send(SIGTERM)
        #expect(endpoint.process.waitForExit(timeout: 30) == 0)
        let all = await receiver.store.events.events()
        #expect(all.count { $0.kind == "run-finished" && $0.run == filePath } == 1, "\(all)")
    }

    @Test("Platform answering 503 while a run starts and finishes, then SIGKILL and a restart with it up: every event arrives, each id once")
    func noneLostAcrossSigkill() async throws {
        let log = PostLog()
        await log.answer(.serviceUnavailable)
        let receiver = try await receiverLogging(log)
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: Self.fastRetries)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 1)
        _ = try #require(await receiver.waitForFinished(filePath, timeout: 60))
        // The endpoint tried to post its run-finished (it is recorded) and was refused.
        try await eventually("run-finished posted and refused", timeout: .seconds(20)) {
            await log.refused.contains { $0.kind == "run-finished" && $0.run == filePath }
        }
        endpoint.process.send(SIGKILL)
        endpoint.process.waitForExit(timeout: 10)
        let beforeRestart = Set(await log.refused.map(\.id))
        #expect(await log.accepted.isEmpty)
        await log.answer(nil)
        try endpoint.restart()
        try await eventually("every event refused before arrives", timeout: .seconds(20)) {
            Set(await receiver.store.events.events().map(\.id)).isSuperset(of: beforeRestart)
        }
        try await eventually("the second endpoint-started arrives", timeout: .seconds(10)) { await events(receiver, .endpointStarted).count == 2 }
        #expect(await events(receiver, .runStarted, run: filePath).count == 1)
        #expect(await events(receiver, .runFinished, run: filePath).count == 1)
        for id in beforeRestart {
            let times = await log.acceptedCount(id)
            #expect(times == 1, "\(id) accepted \(times) times")
        }
        endpoint.process.send(SIGTERM)
        endpoint.process.waitForExit(timeout: 20)
    }

    @Test("A batch the platform answers 400 is dropped and counted, and later events still arrive")
    func refusedBatchDoesNotBlock() async throws {
        let log = PostLog()
        await log.answer(.badRequest)
        let receiver = try await receiverLogging(log)
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: Self.fastRetries)
        try await eventually("endpoint-started refused", timeout: .seconds(10)) { await !log.refused.isEmpty }
        await log.answer(nil)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 1)
        _ = try #require(await receiver.waitForFinished(filePath, timeout: 60))
        try await eventually("run-finished arrives after the refused batch", timeout: .seconds(20)) {
            await !events(receiver, .runFinished, run: filePath).isEmpty
        }
        #expect(await events(receiver, .endpointStarted).isEmpty)
        let metrics = try await endpoint.request("GET", "/metrics").body
        #expect(prometheusSample(metrics, #"lambda_events_dropped_total{reason="refused"}"#) == "1")
        endpoint.process.send(SIGTERM)
        endpoint.process.waitForExit(timeout: 20)
    }

    @Test(
        "max-pending-events at its lower bound with the platform down: the oldest are dropped, events-dropped arrives with the count, the metric counts"
    )
    func overflowDropsOldest() async throws {
        let log = PostLog()
        await log.answer(.serviceUnavailable)
        let receiver = try await receiverLogging(log)
        defer { receiver.stop() }
        // A tracer that exits at once (/bin/true as bpf-path): each run is two events, fast.
        var lambda = Self.fastRetries
        lambda["max-pending-events"] = "100"
        lambda["bpf-path"] = "/bin/true"
        let endpoint = try EndpointProcess(receiver: receiver, lambda: lambda)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        var runs: [String] = []
        while runs.count < 60 {
            let answer = try await endpoint.request("POST", "/trace/start", json: #"{"traceT":"BPF","traceId":\#(number),"lasting":1}"#)
            if answer.status == 200 {
                runs.append(try answer.decoded(as: StartAnswer.self).filePath)
            } else {
                // At max-concurrent-runs or max-undelivered-runs: the earlier ones retire soon.
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let last = runs[runs.count - 1]
        try await eventually("the last run's finished is delivered", timeout: .seconds(60)) {
            try await endpoint.runStatus(last)?.state == .delivered
        }
        try await Task.sleep(for: .milliseconds(500))
        await log.answer(nil)
        try await eventually("events-dropped arrives", timeout: .seconds(20)) { await !events(receiver, .eventsDropped).isEmpty }
        try await eventually("the last run's run-finished arrives", timeout: .seconds(20)) {
            await !events(receiver, .runFinished, run: last).isEmpty
        }
        let all = await receiver.store.events.events()
        // More than one when a drop happened while the one before was being posted.
        let count = await events(receiver, .eventsDropped).reduce(Int64(0)) { sum, event in
            if case .integer(let count) = event.detail["dropped"] { sum + count } else { sum }
        }
        // 121 recorded (endpoint-started and 60 runs' two), at most 100 kept.
        #expect(count >= 21, "\(all.filter { $0.kind == "events-dropped" })")
        #expect(all.count <= 100 + 1, "\(all.count)")
        #expect(await events(receiver, .endpointStarted).isEmpty, "the oldest, dropped")
        #expect(await events(receiver, .runStarted, run: runs[0]).isEmpty, "the oldest, dropped")
        let metrics = try await endpoint.request("GET", "/metrics").body
        #expect(prometheusSample(metrics, #"lambda_events_dropped_total{reason="overflow"}"#) == String(count))
        endpoint.process.send(SIGTERM)
        endpoint.process.waitForExit(timeout: 20)
    }

    @Test(
        "The receiver's POST /events: authenticated as /submit; a bad id or kind is 400 naming the field and stores nothing; over 500 refused; an id kept once"
    )
    func receiverRoute() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let identity = try OutgoingAuthorization(endpointUUID: TestConfigDirectory.endpointUUID, secret: TestConfigDirectory.secret)
        func post(_ json: String, authorization: String? = nil) async throws -> (status: Int, body: String) {
            var request = URLRequest(url: URL(string: receiver.url + "/events")!)
            request.httpMethod = "POST"
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue(authorization ?? identity.headerValue, forHTTPHeaderField: "Authorization")
            let signature = identity.signer.sign(.request, method: "POST", pathAndQuery: "/events", body: Data(json.utf8))
            request.setValue(signature.headerValue, forHTTPHeaderField: LambdaSignature.headerName)
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }
        func event(_ id: String, kind: String = "run-started") -> String {
            #"{"id":"\#(id)","time":"2026-12-07T15:00:00.000Z","kind":"\#(kind)","run":"/tmp/x.trace","detail":{"thread":1}}"#
        }
        #expect(try await post("[\(event("a-1"))]").status == 200)
        #expect(try await post("[\(event("a-1")),\(event("a-2"))]").status == 200)
        #expect(await receiver.store.events.events().map(\.id) == ["a-1", "a-2"])

        let badID = try await post("[\(event("b-1")),\(event("no spaces"))]")
        #expect(badID.status == 400 && badID.body.contains("[1].id"), "\(badID)")
        let badKind = try await post("[\(event("c-1", kind: "Run_Started"))]")
        #expect(badKind.status == 400 && badKind.body.contains("[0].kind"), "\(badKind)")
        let tooMany = try await post("[" + (0...500).map { event("d-\($0)") }.joined(separator: ",") + "]")
        #expect(tooMany.status == 400 && tooMany.body.contains("at most 500"), "\(tooMany.status)")
        #expect(try await post("{}").status == 400)
        #expect(try await post("[\(event("e-1"))]", authorization: "nobody").status == 401)
        #expect(await receiver.store.events.events().map(\.id) == ["a-1", "a-2"], "nothing refused was stored")
    }
}
