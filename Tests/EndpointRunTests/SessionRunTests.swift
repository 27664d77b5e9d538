import EndpointTestSupport
import Foundation
import PlatformStore
import Testing

/// Sessions over real endpoints: `lambda-endpoint serve` in pull mode (polling the
/// platform, control: both so the test can also ask it over HTTP) and in push mode (the
/// platform calls it, signed), real bpftrace, the platform's router in process on
/// loopback with a real SQLite file.
@Suite("Sessions over real pull and push endpoints", .serialized, .enabled(if: getuid() == 0, "needs root for the tracer"))
struct SessionRunTests {
    static let bashTemplate = #"{"process": "/bin/bash", "functions": ["xmalloc"], "traceType": ["BPF"]}"#
    static let db = PullEndpoints.db
    static let pushed = PullEndpoints.pushed
    static let web = PullEndpoints.web

    /// A pull endpoint (registering role=db) and a push endpoint (declared role=db).
    static func endpoints(_ platform: SessionPlatform) async throws -> (pulled: EndpointProcess, pushed: EndpointProcess) {
        let pulled = try EndpointProcess(
            platformURL: platform.url,
            lambda: db.settings(platformURL: platform.url, control: "both", labels: "{role: db}")
        )
        let pushedEndpoint = try EndpointProcess(platformURL: platform.url, lambda: pushed.settings(platformURL: platform.url, control: "push"))
        try await platform.declarePush(pushed, port: pushedEndpoint.port, labels: ["role": "db"])
        try await eventually("the pull endpoint registered with its labels", timeout: .seconds(20)) {
            try await platform.platform.endpoints.endpoint(db.uuid)?.labels == #"{"role":"db"}"#
        }
        return (pulled, pushedEndpoint)
    }

    /// Follows session `id` until every endpoint's state is one of `final`, noting
    /// every state each endpoint was seen in.
    static func follow(
        _ platform: SessionPlatform,
        _ id: String,
        until final: Set<String> = ["finished"],
        timeout: Duration = .seconds(60)
    )
        async throws -> (last: SessionAnswer, seen: [String: [String]])
    {
        var seen: [String: [String]] = [:]
        let last = try await eventuallyValue("session \(id) reaches \(final)", timeout: timeout) { () -> SessionAnswer? in
            let session = try await platform.session(id)
            for endpoint in session.endpoints where seen[endpoint.uuid]?.last != endpoint.state {
                seen[endpoint.uuid, default: []].append(endpoint.state)
            }
            return session.endpoints.allSatisfy({ final.contains($0.state) }) ? session : nil
        }
        return (last, seen)
    }

    /// Each endpoint's run is linked to the session, complete, code 0, and its stream as
    /// stored is the run file on the endpoint byte for byte; the view shows its bytes.
    static func expectDelivered(_ session: SessionAnswer, _ platform: SessionPlatform, analysis: String? = nil) async throws {
        for endpoint in session.endpoints {
            let runID = try #require(endpoint.run, "\(endpoint)")
            let run = try #require(try await platform.platform.runs.run(runID))
            #expect(run.session == session.id && run.analysis == analysis && run.endpoint == endpoint.uuid)
            #expect(run.complete && run.code == 0, "\(run)")
            let stored = try await platform.stream(of: runID)
            #expect(!stored.isEmpty && stored == FileManager.default.contents(atPath: run.filePath), "the stream of \(endpoint.uuid)")
            #expect(endpoint.bytes == stored.count && endpoint.code == 0 && endpoint.status == 200 && endpoint.error == nil)
        }
    }

    @Test(
        "A template session by role=db on a pull and a push endpoint: queued, running, finished with their streams stored, a role=web endpoint left alone; an identical template is reused; delete removes only what it stored"
    )
    func templateSession() async throws {
        let busy = try busyBash(seconds: 30)
        defer { busy.send(SIGKILL) }
        let platform = try await SessionPlatform()
        defer { Task { await platform.stop() } }
        let (pulled, pushedEndpoint) = try await Self.endpoints(platform)
        // A third endpoint, registered with other labels: the session must leave it alone.
        let other = try EndpointProcess(
            platformURL: platform.url,
            lambda: Self.web.settings(platformURL: platform.url, control: "both", labels: "{role: web}")
        )
        try await eventually("the role=web endpoint registered with its labels", timeout: .seconds(20)) {
            try await platform.platform.endpoints.endpoint(Self.web.uuid)?.labels == #"{"role":"web"}"#
        }
        let existing = try await pushedEndpoint.putTemplate(Self.bashTemplate)
        let id = try await platform.createSession(
            #"{"name": "bash allocations", "selector": "role=db", "template": \#(Self.bashTemplate), "lasting": 2}"#
        )
        let started = try await platform.api("PUT", "/api/sessions/\(id)", json: #"{"run": true}"#).json(SessionAnswer.self)
        #expect(started.running && Set(started.endpoints.map(\.uuid)) == [Self.db.uuid, Self.pushed.uuid])
        #expect(started.endpoints.allSatisfy { ["queued", "starting", "running"].contains($0.state) }, "\(started.endpoints)")
        let (finished, seen) = try await Self.follow(platform, id)
        for uuid in [Self.db.uuid, Self.pushed.uuid] {
            #expect(seen[uuid]?.contains("running") == true && seen[uuid]?.last == "finished", "\(uuid): \(seen[uuid] ?? [])")
        }
        #expect(!finished.running)
        #expect(Set(finished.endpoints.map(\.uuid)) == [Self.db.uuid, Self.pushed.uuid])
        try await Self.expectDelivered(finished, platform)
        #expect(try await platform.platform.runs.runs(endpoint: Self.web.uuid).isEmpty, "role=web has no run on the platform")
        for path in ["/traces", "/traces/running/all", "/traces/finished"] {
            #expect(try await other.request("GET", path).body == "[]", "role=web was not asked: GET \(path)")
        }

        let pulledTemplates = try await pulled.request("GET", "/traces")
        #expect(pulledTemplates.body.contains(#""traceNo":1"#), "stored on the pull endpoint: \(pulledTemplates.body)")
        let pushedTemplates = try await pushedEndpoint.request("GET", "/traces")
        #expect(pushedTemplates.body.components(separatedBy: "traceNo").count == 2, "reused, not stored again: \(pushedTemplates.body)")
        let pushedRunID = try #require(finished.endpoint(Self.pushed.uuid)?.run)
        let startedRun = try #require(try await platform.platform.runs.run(pushedRunID))
        #expect(startedRun.filePath.hasSuffix(".trace") && existing == 1)

        #expect(try await platform.api("DELETE", "/api/sessions/\(id)").status == 204)
        try await eventually("the template the session stored is removed", timeout: .seconds(20)) {
            try await pulled.request("GET", "/traces").body == "[]"
        }
        #expect(try await pushedEndpoint.request("GET", "/traces").body == pushedTemplates.body, "the one it found there stays")
        #expect(try await platform.api("GET", "/api/sessions/\(id)").status == 404)
        #expect(try await platform.platform.runs.run(startedRun.id) != nil, "its runs stay until retention")
    }

    @Test("An analysis session with a pid target: the target reaches both endpoints, each stream names it")
    func analysisSessionWithTarget() async throws {
        let traced = try busyBash(seconds: 30)
        defer { traced.send(SIGKILL) }
        let platform = try await SessionPlatform()
        defer { Task { await platform.stop() } }
        let endpoints = try await Self.endpoints(platform)
        let id = try await platform.createSession(
            #"{"name": "syscalls of one bash", "selector": "role=db", "analysis": {"name": "syscalls", "parameters": {"interval": 1}}, "target": {"pid": \#(traced.pid)}, "lasting": 2}"#
        )
        #expect(try await platform.api("PUT", "/api/sessions/\(id)", json: #"{"run": true}"#).status == 200)
        let (finished, _) = try await Self.follow(platform, id)
        #expect(finished.endpoints.count == 2)
        try await Self.expectDelivered(finished, platform, analysis: "syscalls")
        for endpoint in finished.endpoints {
            let stream = String(decoding: try await platform.stream(of: try #require(endpoint.run)), as: UTF8.self)
            #expect(stream.contains(#"["target","pid","\#(traced.pid)",null"#), "\(endpoint.uuid): \(stream.prefix(600))")
        }
        _ = endpoints
    }

    @Test("run: false kills the runs on both endpoints long before their lasting; the rows show killed")
    func stopKills() async throws {
        // A bash allocating all along: the traced function fires, so the streams grow.
        let busy = try busyBash(seconds: 60)
        defer { busy.send(SIGKILL) }
        let platform = try await SessionPlatform()
        defer { Task { await platform.stop() } }
        let endpoints = try await Self.endpoints(platform)
        let id = try await platform.createSession(#"{"name": "long", "selector": "role=db", "template": \#(Self.bashTemplate), "lasting": 120}"#)
        _ = try await platform.api("PUT", "/api/sessions/\(id)", json: #"{"run": true}"#)
        // Stopped once both tracers print (their `ready` line reached the platform).
        let running = try await eventuallyValue("both runs stream", timeout: .seconds(30)) { () -> SessionAnswer? in
            let session = try await platform.session(id)
            return session.endpoints.count == 2 && session.endpoints.allSatisfy({ $0.state == "running" && $0.bytes > 0 }) ? session : nil
        }
        let stopped = try await platform.api("PUT", "/api/sessions/\(id)", json: #"{"run": false}"#).json(SessionAnswer.self)
        #expect(!stopped.running && stopped.endpoints.allSatisfy { $0.state == "killed" }, "\(stopped.endpoints)")
        let clock = ContinuousClock()
        let stoppedAt = clock.now
        for endpoint in running.endpoints {
            let runID = try #require(endpoint.run)
            try await eventually("the run of \(endpoint.uuid) ends", timeout: .seconds(40)) {
                try await platform.platform.runs.run(runID)?.finished != nil
            }
        }
        #expect(clock.now - stoppedAt < .seconds(60), "killed, not run to its 120 s")
        let after = try await platform.session(id)
        #expect(after.endpoints.allSatisfy { $0.state == "killed" && $0.run != nil && $0.code != nil }, "\(after.endpoints)")
        _ = endpoints
    }

    @Test("GET /api/containers gathers GET /containers from a pull and a push endpoint")
    func containers() async throws {
        let container = try HomeMadeContainer(naming: .dockerScope)
        defer { container.remove() }
        let platform = try await SessionPlatform()
        defer { Task { await platform.stop() } }
        let endpoints = try await Self.endpoints(platform)
        let answer = try await platform.api("GET", "/api/containers?selector=role%3Ddb")
        #expect(answer.status == 200)
        struct Listed: Decodable {
            struct Container: Decodable { var id: String }
            var endpoint: String
            var containers: [Container]?
            var error: String?
        }
        let listed = try answer.json([Listed].self)
        #expect(listed.map(\.endpoint) == [Self.db.uuid, Self.pushed.uuid])
        for entry in listed {
            #expect(
                entry.error == nil && entry.containers?.contains { $0.id == container.id } == true,
                "\(entry.endpoint): \(answer.text.prefix(500))"
            )
        }
        _ = endpoints
    }
}
