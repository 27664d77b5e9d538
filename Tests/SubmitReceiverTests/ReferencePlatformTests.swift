import Authentication
import Credentials
import EndpointTestSupport
import Foundation
import PlatformServer
import PlatformWire
import SubmitReceiver
import Synchronization
import Testing

@Suite("Reference platform: registrations, task queues, signed answers, results, fan-out")
struct ReferencePlatformTests {
    typealias Live = LivePlatform

    @Test("Registration shows in GET /endpoints with labels; declared push endpoints too, with nulls; uuids must agree")
    func registration() async throws {
        let live = try await Live(pushEndpoints: [PushEndpoint(uuid: Live.pushed.uuid, url: "http://127.0.0.1:9", labels: ["role": "db"])])
        defer { live.stop() }
        let auth = try Live.authorization(Live.first)
        let registered = try await live.call("PUT", "/endpoints/\(Live.first.uuid)", authorization: auth, json: Live.registration(Live.first.uuid))
        #expect(registered.status == 200)
        #expect(try registered.json([String: String].self) == ["uuid": Live.first.uuid])

        // Another endpoint's Authorization, a body naming another uuid, none at all.
        let foreign = try await live.call("PUT", "/endpoints/\(Live.second.uuid)", authorization: auth, json: Live.registration(Live.second.uuid))
        #expect(foreign.status == 401)
        let mismatch = try await live.call("PUT", "/endpoints/\(Live.first.uuid)", authorization: auth, json: Live.registration(Live.second.uuid))
        #expect(mismatch.status == 400)
        let anonymous = try await live.call("PUT", "/endpoints/\(Live.first.uuid)", json: Live.registration(Live.first.uuid))
        #expect(anonymous.status == 401)
        #expect(try anonymous.json([String: String].self)["error"] != nil)
        let badControl = try await live.call(
            "PUT",
            "/endpoints/\(Live.first.uuid)",
            authorization: auth,
            json: Live.registration(Live.first.uuid, control: "sideways")
        )
        #expect(badControl.status == 400)

        let listed = try await live.call("GET", "/endpoints").json([ListedEndpoint].self)
        #expect(listed.map(\.uuid) == [Live.first.uuid, Live.pushed.uuid])
        #expect(listed[0].hostname == "host-1111" && listed[0].control == .pull && listed[0].labels == ["role": "db"])
        #expect(listed[0].version == "1.2.3" && listed[0].analyses == ["cpu"] && listed[0].lastSeen != nil && listed[0].url == nil)
        #expect(listed[1].hostname == nil && listed[1].control == nil && listed[1].lastSeen == nil && listed[1].url == "http://127.0.0.1:9")
        #expect(listed[1].labels == ["role": "db"])
        // Every key is present, null included.
        let raw = try await live.call("GET", "/endpoints").text
        #expect(raw.contains(#""hostname":null"#))
    }

    @Test("A long poll with nothing queued answers 204 after its wait; a task queued meanwhile answers it at once, signed")
    func longPoll() async throws {
        let live = try await Live()
        defer { live.stop() }
        let auth = try Live.authorization(Live.first)
        let clock = ContinuousClock()
        var started = clock.now
        let empty = try await live.call("GET", "/tasks?endpoint=\(Live.first.uuid)&wait=1", authorization: auth)
        #expect(empty.status == 204 && empty.body.isEmpty)
        #expect(clock.now - started >= .milliseconds(900))
        #expect(clock.now - started < .seconds(5))

        started = clock.now
        async let polled = live.call("GET", "/tasks?endpoint=\(Live.first.uuid)&wait=20", authorization: auth)
        // A moment for the poll to be waiting when the task comes: the platform shows no
        // waiting polls to wait for (the task's arrival "meanwhile" is the point).
        try await Task.sleep(for: .milliseconds(300))
        let task = #"{"id": "t-1", "method": "GET", "path": "/traces/finished", "query": {"limit": "3"}}"#
        let queued = try await live.call("POST", "/tasks", json: #"{"endpoint": "\#(Live.first.uuid)", "task": \#(task)}"#)
        #expect(queued.status == 200)
        let answer = try await polled
        #expect(clock.now - started < .seconds(5))
        #expect(answer.status == 200)
        let tasks = try answer.json([PlatformTask].self)
        #expect(tasks == [PlatformTask(id: "t-1", method: "GET", path: "/traces/finished", query: ["limit": "3"])])

        // The answer proves the platform knows the endpoint's secret, as an endpoint checks it.
        let signature = try #require(answer.headers["authorization"])
        let endpointSide = RequestAuthenticator(endpointUUID: Live.first.uuid, secret: Live.first.secret, settings: AuthSettings())
        #expect(await endpointSide.authenticate(signature) == .accepted)
        let otherSide = RequestAuthenticator(endpointUUID: Live.first.uuid, secret: "not-the-secret", settings: AuthSettings())
        #expect(await otherSide.authenticate(signature) != .accepted)

        // Taken tasks are gone; the next answer is signed with the same value (the endpoint caches it).
        let drained = try await live.call("GET", "/tasks?endpoint=\(Live.first.uuid)", authorization: auth)
        #expect(drained.status == 204)
        _ = try await live.call("POST", "/tasks", json: #"{"endpoint": "\#(Live.first.uuid)", "task": \#(task)}"#)
        let again = try await live.call("GET", "/tasks?endpoint=\(Live.first.uuid)&wait=0", authorization: auth)
        #expect(again.headers["authorization"] == signature)
    }

    @Test("A new poll of the same endpoint answers the one still waiting empty, and gets the next task itself")
    func newPollSupersedes() async throws {
        let live = try await Live()
        defer { live.stop() }
        let auth = try Live.authorization(Live.first)
        let clock = ContinuousClock()
        let started = clock.now
        async let abandoned = live.call("GET", "/tasks?endpoint=\(Live.first.uuid)&wait=20", authorization: auth)
        // A moment for the first poll to be waiting before the second: the platform shows
        // no waiting polls to wait for.
        try await Task.sleep(for: .milliseconds(300))
        async let current = live.call("GET", "/tasks?endpoint=\(Live.first.uuid)&wait=20", authorization: auth)
        #expect(try await abandoned.status == 204)
        #expect(clock.now - started < .seconds(5))
        _ = try await live.call(
            "POST",
            "/tasks",
            json: #"{"endpoint": "\#(Live.first.uuid)", "task": {"id": "n", "method": "GET", "path": "/heartbeat"}}"#
        )
        #expect(try await current.json([PlatformTask].self).map(\.id) == ["n"])
        #expect(clock.now - started < .seconds(5))
    }

    @Test("In unsigned mode (for the endpoint's tests) task answers carry no Authorization")
    func unsigned() async throws {
        let live = try await Live(unsignedTasks: true)
        defer { live.stop() }
        _ = try await live.call(
            "POST",
            "/tasks",
            json: #"{"endpoint": "\#(Live.first.uuid)", "task": {"id": "u", "method": "GET", "path": "/heartbeat"}}"#
        )
        let answer = try await live.call("GET", "/tasks?endpoint=\(Live.first.uuid)", authorization: try Live.authorization(Live.first))
        #expect(answer.status == 200)
        #expect(answer.headers["authorization"] == nil)
    }

    @Test("GET /tasks without Authorization, a wrong secret or another endpoint's is 401; a bad wait or task id 400; any method is queued")
    func pollRefusals() async throws {
        let live = try await Live()
        defer { live.stop() }
        let path = "/tasks?endpoint=\(Live.first.uuid)&wait=0"
        #expect(try await live.call("GET", path).status == 401)
        let wrongSecret = try AuthorizationHeader.make(endpointUUID: Live.first.uuid, secret: "guess")
        #expect(try await live.call("GET", path, authorization: wrongSecret).status == 401)
        let unknown = try AuthorizationHeader.make(endpointUUID: "44444444-4444-4444-8444-444444444444", secret: Live.first.secret)
        #expect(try await live.call("GET", "/tasks?endpoint=44444444-4444-4444-8444-444444444444", authorization: unknown).status == 401)
        let other = try Live.authorization(Live.second)
        let foreign = try await live.call("GET", path, authorization: other)
        #expect(foreign.status == 401)
        #expect(try foreign.json([String: String].self)["error"]?.contains(Live.second.uuid) == true)
        let auth = try Live.authorization(Live.first)
        #expect(try await live.call("GET", "/tasks?endpoint=\(Live.first.uuid)&wait=soon", authorization: auth).status == 400)
        #expect(try await live.call("GET", "/tasks?endpoint=\(Live.first.uuid)&wait=-1", authorization: auth).status == 400)
        let badID = #"{"endpoint": "\#(Live.first.uuid)", "task": {"id": "a/b", "method": "GET", "path": "/heartbeat"}}"#
        #expect(try await live.call("POST", "/tasks", json: badID).status == 400)
        // A method the endpoint refuses is queued all the same: the endpoint answers it (400)
        // as its result, which is what a test of the endpoint needs to see.
        let badMethod = #"{"endpoint": "\#(Live.first.uuid)", "task": {"id": "ab", "method": "DELETE", "path": "/heartbeat"}}"#
        #expect(try await live.call("POST", "/tasks", json: badMethod).status == 200)
    }

    @Test("Results are stored, the first of an id wins (repeats answer 200), unknown ids too; only the sender's own")
    func results() async throws {
        let live = try await Live()
        defer { live.stop() }
        let auth = try Live.authorization(Live.first)
        let first = #"{"endpoint": "\#(Live.first.uuid)", "status": 200, "body": {"traceNo": 4}}"#
        let stored = try await live.call("PUT", "/tasks/never.queued/result", authorization: auth, json: first)
        #expect(stored.status == 200)
        #expect(try stored.json([String: String].self) == ["id": "never.queued"])
        let second = #"{"endpoint": "\#(Live.first.uuid)", "status": 500, "body": "text answer"}"#
        #expect(try await live.call("PUT", "/tasks/never.queued/result", authorization: auth, json: second).status == 200)
        let result = try await live.call("GET", "/tasks/never.queued/result").json(TaskResult.self)
        #expect(result == TaskResult(endpoint: Live.first.uuid, status: 200, body: .object(["traceNo": .integer(4)])))

        #expect(try await live.call("PUT", "/tasks/x/result", json: first).status == 401)
        let asOther = #"{"endpoint": "\#(Live.second.uuid)", "status": 200}"#
        #expect(try await live.call("PUT", "/tasks/x/result", authorization: auth, json: asOther).status == 401)
        #expect(try await live.call("GET", "/tasks/x/result").status == 404)
        let text = #"{"endpoint": "\#(Live.first.uuid)", "status": 404, "body": "Not Found"}"#
        _ = try await live.call("PUT", "/tasks/y/result", authorization: auth, json: text)
        #expect(try await live.call("GET", "/tasks/y/result").json(TaskResult.self).body == .string("Not Found"))
    }

    @Test("Fan-out: a pull endpoint gets the store task, then the start with its traceNo; a push endpoint is called in the same order")
    func fanOut() async throws {
        let pushClient = RecordingPushClient()
        let live = try await Live(
            pushEndpoints: [PushEndpoint(uuid: Live.pushed.uuid, url: "http://push.example:3000", labels: ["role": "db", "zone": "eu-1"])],
            pushClient: pushClient
        )
        defer { live.stop() }
        let first = try Live.authorization(Live.first)
        let second = try Live.authorization(Live.second)
        _ = try await live.call(
            "PUT",
            "/endpoints/\(Live.first.uuid)",
            authorization: first,
            json: Live.registration(Live.first.uuid, control: "both", labels: #"{"role": "db", "zone": "eu-1"}"#)
        )
        _ = try await live.call(
            "PUT",
            "/endpoints/\(Live.second.uuid)",
            authorization: second,
            json: Live.registration(Live.second.uuid, labels: #"{"role": "web", "zone": "eu-1"}"#)
        )
        let template = #"{"process": "/bin/bash", "functions": ["xmalloc"], "traceType": ["BPF"]}"#
        let started = try await live.call(
            "POST",
            "/fleet/start",
            json: #"{"selector": "role=db,zone=eu-1", "template": \#(template), "traceT": "BPF", "lasting": 30}"#
        )
        #expect(started.status == 200)
        let fanOut = try started.json(FanOutStarted.self)
        #expect(fanOut.endpoints == [Live.first.uuid, Live.pushed.uuid])

        // The web endpoint gets nothing.
        #expect(try await live.call("GET", "/tasks?endpoint=\(Live.second.uuid)", authorization: second).status == 204)

        let storeTasks = try await live.call("GET", "/tasks?endpoint=\(Live.first.uuid)&wait=5", authorization: first).json([PlatformTask].self)
        let store = try #require(storeTasks.first)
        #expect(storeTasks.count == 1)
        #expect(store.method == "PUT" && store.path == "/trace")
        #expect(store.body == (try JSONDecoder().decode(JSONValue.self, from: Data(template.utf8))))
        #expect(try await live.call("GET", "/fleet/\(fanOut.id)").json(FanOutSummary.self).endpoints.first?.state == .queued)
        // Nothing else before the store's result: the start needs its traceNo.
        #expect(try await live.call("GET", "/tasks?endpoint=\(Live.first.uuid)&wait=0", authorization: first).status == 204)

        let storeResult = #"{"endpoint": "\#(Live.first.uuid)", "status": 200, "body": {"traceNo": 7, "info": {}}}"#
        #expect(try await live.call("PUT", "/tasks/\(store.id)/result", authorization: first, json: storeResult).status == 200)
        let startTasks = try await live.call("GET", "/tasks?endpoint=\(Live.first.uuid)&wait=5", authorization: first).json([PlatformTask].self)
        let start = try #require(startTasks.first)
        #expect(start.method == "POST" && start.path == "/trace/start" && start.id != store.id)
        #expect(start.body == .object(["traceT": .string("BPF"), "traceId": .integer(7), "lasting": .integer(30)]))
        // A redelivered store result does not queue a second start.
        _ = try await live.call("PUT", "/tasks/\(store.id)/result", authorization: first, json: storeResult)
        #expect(try await live.call("GET", "/tasks?endpoint=\(Live.first.uuid)&wait=0", authorization: first).status == 204)

        let startResult = #"{"endpoint": "\#(Live.first.uuid)", "status": 200, "body": {"filePath": "/tmp/a.trace", "thread": 1}}"#
        _ = try await live.call("PUT", "/tasks/\(start.id)/result", authorization: first, json: startResult)

        try await eventually("both endpoints started") {
            try await live.call("GET", "/fleet/\(fanOut.id)").json(FanOutSummary.self).endpoints.allSatisfy { $0.state == .started }
        }
        let summary = try await live.call("GET", "/fleet/\(fanOut.id)").json(FanOutSummary.self)
        #expect(summary.endpoints.map(\.mode) == [.pull, .push])
        #expect(summary.endpoints.map(\.status) == [200, 200])
        #expect(summary.endpoints[0].body?["filePath"] == .string("/tmp/a.trace"))
        #expect(summary.endpoints[1].body?["filePath"] == .string("/tmp/pushed.trace"))

        let calls = pushClient.calls
        #expect(calls.map(\.path) == ["/trace", "/trace/start"])
        #expect(calls.allSatisfy { $0.baseURL == "http://push.example:3000" })
        #expect(calls.last?.body == .object(["traceT": .string("BPF"), "traceId": .integer(3), "lasting": .integer(30)]))
        let pushedSide = RequestAuthenticator(endpointUUID: Live.pushed.uuid, secret: Live.pushed.secret, settings: AuthSettings())
        #expect(await pushedSide.authenticate(calls.first?.authorization) == .accepted)
        #expect(Set(calls.map(\.authorization)).count == 1)
    }

    @Test("Fan-out: a refused store fails that endpoint with its answer; a bad selector is 400")
    func fanOutFailure() async throws {
        let live = try await Live()
        defer { live.stop() }
        let first = try Live.authorization(Live.first)
        _ = try await live.call("PUT", "/endpoints/\(Live.first.uuid)", authorization: first, json: Live.registration(Live.first.uuid))
        // Registered push-only and declared with no url: nothing can reach it.
        let second = try Live.authorization(Live.second)
        _ = try await live.call(
            "PUT",
            "/endpoints/\(Live.second.uuid)",
            authorization: second,
            json: Live.registration(Live.second.uuid, control: "push")
        )
        #expect(try await live.call("POST", "/fleet/start", json: #"{"selector": "role", "template": {}, "lasting": 3}"#).status == 400)
        #expect(try await live.call("POST", "/fleet/start", json: #"{"selector": "", "template": {}, "lasting": 0}"#).status == 400)
        let fanOut = try await live.call("POST", "/fleet/start", json: #"{"selector": "", "template": {}, "lasting": 3}"#).json(FanOutStarted.self)
        #expect(fanOut.endpoints == [Live.first.uuid, Live.second.uuid])
        let store = try #require(
            try await live.call("GET", "/tasks?endpoint=\(Live.first.uuid)&wait=5", authorization: first).json([PlatformTask].self).first
        )
        let refused = #"{"endpoint": "\#(Live.first.uuid)", "status": 400, "body": {"error": "functions: missing"}}"#
        _ = try await live.call("PUT", "/tasks/\(store.id)/result", authorization: first, json: refused)
        let summary = try await live.call("GET", "/fleet/\(fanOut.id)").json(FanOutSummary.self)
        #expect(summary.endpoints.map(\.state) == [.failed, .failed])
        #expect(summary.endpoints.map(\.mode) == [.pull, .push])
        #expect(summary.endpoints.map(\.status) == [400, nil])
        #expect(try await live.call("GET", "/fleet/nope").status == 404)
    }

    @Test("With many endpoints, /submit stores each endpoint's traces in its own directory; /status names the endpoint")
    func perEndpointDirectories() async throws {
        let live = try await Live()
        defer { live.stop() }
        for (endpoint, text) in [(Live.first, "one\n"), (Live.second, "two\n")] {
            let auth = try Live.authorization(endpoint)
            for message in [
                #"{"trace": "/tmp/same.trace", "status": "start"}"#,
                #"{"trace":"/tmp/same.trace","no":0,"field":"\#(Data(text.utf8).base64EncodedString())"}"#,
                #"{"trace": "/tmp/same.trace", "status": "finished", "stderr": "", "code": 0}"#,
            ] {
                #expect(try await live.call("PUT", "/submit", authorization: auth, json: message).status == 200)
            }
        }
        for (endpoint, text) in [(Live.first, "one\n"), (Live.second, "two\n")] {
            let path = "\(live.directory)/\(endpoint.uuid)/same.trace.ndjson"
            #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
            #expect(FileManager.default.fileExists(atPath: "\(live.directory)/\(endpoint.uuid)/same.trace.status.json"))
        }
        #expect(!FileManager.default.fileExists(atPath: "\(live.directory)/same.trace.ndjson"))
        let status = try await live.call("GET", "/status").json([ReceivedTrace].self)
        #expect(status.map(\.endpoint) == [Live.first.uuid, Live.second.uuid])
        #expect(status.allSatisfy { $0.verdict == .complete })
        let stranger = try AuthorizationHeader.make(endpointUUID: Live.first.uuid, secret: "guess")
        let refused = try await live.call("PUT", "/submit", authorization: stranger, json: #"{"trace": "/tmp/x.trace", "status": "start"}"#)
        #expect(refused.status == 401)
        #expect(try refused.json([String: String].self)["error"] != nil)
    }
}

/// A push endpoint that answers the store with traceNo 3 and the start with a file path.
final class RecordingPushClient: PushEndpointCalling {
    struct Call: Sendable {
        let baseURL: String
        let method: String
        let path: String
        let body: JSONValue?
        let authorization: String
    }

    private let recorded = Mutex<[Call]>([])
    var calls: [Call] { recorded.withLock { $0 } }

    func call(
        baseURL: String,
        method: String,
        path: String,
        body: JSONValue?,
        credentials: PushCredentials
    ) async -> (
        status: Int?, body: JSONValue?
    ) {
        recorded.withLock { $0.append(Call(baseURL: baseURL, method: method, path: path, body: body, authorization: credentials.authorization)) }
        if path == "/trace" { return (200, .object(["traceNo": .integer(3)])) }
        return (200, .object(["filePath": .string("/tmp/pushed.trace"), "thread": .integer(1)]))
    }
}
