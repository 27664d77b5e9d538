import Authentication
import Credentials
import EndpointTestSupport
import Foundation
import PlatformWire
import SubmitReceiver
import Testing

@Suite("Stand-in platform: registrations, task queues, signed and unsigned answers, results")
struct StandInPlatformTests {
    typealias Live = LiveStandInPlatform

    @Test("Registration shows in GET /endpoints with labels; uuids must agree")
    func registration() async throws {
        let live = try await Live()
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
        #expect(listed.map(\.uuid) == [Live.first.uuid])
        #expect(listed[0].hostname == "host-1111" && listed[0].control == .pull && listed[0].labels == ["role": "db"])
        #expect(listed[0].version == "1.2.3" && listed[0].analyses == ["cpu"] && !listed[0].lastSeen.isEmpty)
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
