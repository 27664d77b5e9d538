import EndpointTestSupport
import Foundation
import PlatformWire
import Testing

/// Rounds of a session with the endpoints' side spoken over the real endpoint-facing
/// routes (its polls and results, signed as that endpoint): the steps a template session
/// sends, reuse of an identical template, `run` idempotent, late answers after a stop,
/// removal on delete, and containers gathered. The real endpoints are in EndpointRunTests.
@Suite("Sessions: rounds over pull endpoints, step by step")
struct SessionRoundTests {
    static let first = TestPlatform.first
    static let template = #"{"process": "/bin/bash", "functions": ["xmalloc"], "traceType": ["BPF"]}"#
    static let stored =
        #"{"environment":[],"functions":["xmalloc"],"options":[],"process":"/bin/bash","traceType":["BPF"],"value":[]}"#

    /// `first` is role=db, `second` role=web.
    static func platform() async throws -> TestPlatform {
        try await TestPlatform { settings in
            settings.endpoints[0].labels = ["role": "db"]
            settings.endpoints[1].labels = ["role": "web"]
        }
    }

    static func create(_ platform: TestPlatform, _ body: String, token: String) async throws -> String {
        let answer = try await platform.createSession(body, token: token)
        try #require(answer.status == 201, "\(answer.text)")
        return try #require(try answer.json(JSONValue.self)["id"]?.text)
    }

    @Test("run: true twice starts one round; run: false twice stops it once; a run: true after that starts round 2")
    func idempotent() async throws {
        let platform = try await Self.platform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("operator")
        let id = try await Self.create(platform, #"{"name": "n", "selector": "role=db", "template": \#(Self.template), "lasting": 5}"#, token: token)
        let started = try await platform.order(id, run: true, token: token)
        #expect(started.status == 200)
        let view = try started.json(JSONValue.self)
        #expect(view["running"] == .boolean(true))
        #expect(
            view["endpoints"]
                == .array([
                    .object([
                        "uuid": .string(Self.first.uuid), "hostname": .null, "state": .string("queued"), "run": .null, "status": .null,
                        "error": .null, "code": .null, "bytes": .integer(0),
                    ])
                ])
        )
        #expect(try await platform.poll(as: Self.first).map(\.id) == ["\(id).1.list.\(Self.first.uuid)"])
        #expect(try await platform.poll(as: TestPlatform.second).isEmpty, "role=web is not asked")
        let again = try await platform.order(id, run: true, token: token)
        #expect(again.text == started.text)
        #expect(try await platform.poll(as: Self.first).isEmpty, "no second round while the first goes on")

        let stopped = try await platform.order(id, run: false, token: token)
        let stoppedView = try stopped.json(JSONValue.self)
        #expect(stoppedView["running"] == .boolean(false) && stoppedView[path: "endpoints", 0, "state"] == .string("killed"))
        #expect(try await platform.order(id, run: false, token: token).text == stopped.text)
        let second = try await platform.order(id, run: true, token: token).json(JSONValue.self)
        #expect(second["running"] == .boolean(true) && second[path: "endpoints", 0, "state"] == .string("queued"))
        #expect(try await platform.poll(as: Self.first).map(\.id) == ["\(id).2.list.\(Self.first.uuid)"])
    }

    @Test(
        "A template session lists, stores, starts; the run's stream decides finished; the next round reuses the stored template; a refused start fails; delete removes what it stored"
    )
    func steps() async throws {
        let platform = try await Self.platform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("operator")
        let id = try await Self.create(
            platform,
            #"{"name": "n", "selector": "role=db", "template": \#(Self.template), "lasting": 30, "target": {"pod": "shop-*"}}"#,
            token: token
        )
        _ = try await platform.order(id, run: true, token: token)
        let list = try #require(try await platform.poll(as: Self.first).first)
        #expect(list.method == "GET" && list.path == "/traces")
        try await platform.answer(list.id, as: Self.first, body: "[]")
        let store = try #require(try await platform.poll(as: Self.first).first)
        #expect(store.method == "PUT" && store.path == "/trace" && store.body.map(Self.text) == Self.stored)
        #expect(try await platform.session(id, token: token)[path: "endpoints", 0, "state"] == .string("starting"))
        try await platform.answer(store.id, as: Self.first, body: #"{"traceNo": 7, "info": \#(Self.stored)}"#)
        let start = try #require(try await platform.poll(as: Self.first).first)
        #expect(start.method == "POST" && start.path == "/trace/start")
        #expect(start.body.map(Self.text) == #"{"lasting":30,"target":{"pod":"shop-*"},"traceId":7,"traceT":"BPF"}"#)
        try await platform.answer(start.id, as: Self.first, body: #"{"thread": 1, "filePath": "/tmp/s.trace"}"#)

        let run = try #require(try await platform.platform.runs.run(endpoint: Self.first.uuid, filePath: "/tmp/s.trace"))
        #expect(run.session == id)
        let running = try await platform.session(id, token: token)
        #expect(running["running"] == .boolean(true))
        #expect(running[path: "endpoints", 0, "state"] == .string("running") && running[path: "endpoints", 0, "run"] == .string(run.id))
        #expect(running[path: "endpoints", 0, "status"] == .integer(200))
        try await platform.deliver("/tmp/s.trace", bytes: "one\n", code: 0, as: Self.first)
        let finished = try await platform.session(id, token: token)
        #expect(finished["running"] == .boolean(false))
        #expect(finished[path: "endpoints", 0, "state"] == .string("finished"))
        #expect(finished[path: "endpoints", 0, "code"] == .integer(0) && finished[path: "endpoints", 0, "bytes"] == .integer(4))

        // Round 2: the identical template found is started, not stored again.
        _ = try await platform.order(id, run: true, token: token)
        let relist = try #require(try await platform.poll(as: Self.first).first)
        try await platform.answer(
            relist.id,
            as: Self.first,
            body:
                #"[{"traceNo": 3, "info": {"process": "/bin/true", "functions": ["main"], "traceType": ["BPF"]}}, {"traceNo": 7, "info": \#(Self.stored), "binary": null}]"#
        )
        let restart = try #require(try await platform.poll(as: Self.first).first)
        #expect(restart.path == "/trace/start" && restart.body?["traceId"] == .integer(7))
        try await platform.answer(restart.id, as: Self.first, status: 404, body: #"{"error": "no template 7"}"#)
        let failed = try await platform.session(id, token: token)
        #expect(failed["running"] == .boolean(false))
        #expect(failed[path: "endpoints", 0, "state"] == .string("failed") && failed[path: "endpoints", 0, "run"] == .null)
        #expect(failed[path: "endpoints", 0, "status"] == .integer(404) && failed[path: "endpoints", 0, "error"] == .string("no template 7"))

        #expect(try await platform.call("DELETE", "/api/sessions/\(id)", bearer: token).status == 204)
        let remove = try await platform.poll(as: Self.first)
        #expect(remove.map(\.path) == ["/trace/remove"] && remove.first?.body.map(Self.text) == #"{"removeId":7,"removeType":"BPF"}"#)
        #expect(try await platform.platform.runs.run(run.id) != nil, "its runs stay")
    }

    @Test("A start answered after a stop: its run is killed at once and the row stays killed")
    func lateStart() async throws {
        let platform = try await Self.platform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("operator")
        let id = try await Self.create(
            platform,
            #"{"name": "n", "selector": "role=db", "analysis": {"name": "syscalls", "parameters": {"interval": 1}}, "lasting": 5}"#,
            token: token
        )
        _ = try await platform.order(id, run: true, token: token)
        let start = try #require(try await platform.poll(as: Self.first).first)
        #expect(start.path == "/analysis/start")
        #expect(start.body.map(Self.text) == #"{"analysis":"syscalls","lasting":5,"parameters":{"interval":1}}"#)
        _ = try await platform.order(id, run: false, token: token)
        try await platform.answer(start.id, as: Self.first, body: #"{"thread": 1, "filePath": "/tmp/late.trace"}"#)
        let kill = try await platform.poll(as: Self.first)
        #expect(kill.map(\.path) == ["/trace/kill"] && kill.first?.body.map(Self.text) == #"{"killPath":"/tmp/late.trace"}"#)
        let view = try await platform.session(id, token: token)
        #expect(view[path: "endpoints", 0, "state"] == .string("killed") && view["running"] == .boolean(false))
        #expect(try await platform.platform.runs.run(endpoint: Self.first.uuid, filePath: "/tmp/late.trace")?.session == id)
    }

    @Test("GET /api/containers asks every matching endpoint and lists each answer, or its error")
    func containers() async throws {
        let platform = try await Self.platform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("viewer")
        #expect(try await platform.call("GET", "/api/containers?selector=role=none", bearer: token).text == "[]")
        let bad = try await platform.call("GET", "/api/containers?selector=role", bearer: token)
        #expect(bad.status == 400 && bad.text == #"{"error":"selector: role is not key=value"}"#)
        async let gathered = platform.call("GET", "/api/containers", bearer: token)
        let firstTask = try await eventuallyValue("the first endpoint's task") { try await platform.poll(as: Self.first).first }
        let secondTask = try await eventuallyValue("the second endpoint's task") { try await platform.poll(as: TestPlatform.second).first }
        #expect(firstTask.method == "GET" && firstTask.path == "/containers")
        try await platform.answer(firstTask.id, as: Self.first, body: #"[{"id": "abc", "pod": null}]"#)
        try await platform.answer(secondTask.id, as: TestPlatform.second, status: 503, body: #"{"error": "busy"}"#)
        let answer = try await gathered
        #expect(answer.status == 200)
        #expect(
            answer.text
                == #"[{"containers":[{"id":"abc","pod":null}],"endpoint":"\#(Self.first.uuid)","error":null},{"containers":null,"endpoint":"\#(TestPlatform.second.uuid)","error":"busy"}]"#
        )
    }

    static func text(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }
}
