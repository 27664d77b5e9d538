import EndpointTestSupport
import Foundation
import PlatformWire
import SubmitReceiver
import Testing

/// Pull mode with real endpoints (`lambda-endpoint serve`), the stand-in platform on
/// loopback and real bpftrace: registration, signed answers only, at most once across a
/// restart, 404 for no route, a prompt SIGTERM during a long poll, and a push endpoint
/// that never polls. Sessions by label over pull and push endpoints run against the real
/// platform (`SessionRunTests`).
@Suite("Pull mode: registration, tasks", .serialized)
struct PullModeTests {
    static let bashTemplate = JSONValue.object([
        "process": .string("/bin/bash"), "functions": .array([.string("xmalloc")]), "traceType": .array([.string("BPF")]),
    ])

    @Test("Two pull endpoints with labels register and show in GET /endpoints; a push endpoint never registers")
    func registration() async throws {
        let platform = try await LiveStandInPlatform()
        defer { platform.stop() }
        let db = try EndpointProcess(platform: platform, identity: PullEndpoints.db, labels: "{role: db, zone: eu-1}")
        let web = try EndpointProcess(platform: platform, identity: PullEndpoints.web, labels: "{role: web}")
        let pushed = try EndpointProcess(platform: platform, identity: PullEndpoints.pushed, control: "push")

        let listed = try await eventuallyValue("both pull endpoints registered") {
            let endpoints = await platform.endpoints()
            return endpoints.filter { [PullEndpoints.db.uuid, PullEndpoints.web.uuid].contains($0.uuid) }.count == 2 ? endpoints : nil
        }
        #expect(listed.map(\.uuid) == [PullEndpoints.db.uuid, PullEndpoints.web.uuid], "a push endpoint never registers")
        #expect(
            listed[0].labels == ["role": "db", "zone": "eu-1"] && listed[0].control == .pull && listed[0].version == Registration.endpointVersion
        )
        #expect(listed[0].analyses.contains("syscalls"))
        #expect(listed[1].labels == ["role": "web"])
        _ = (db, web, pushed)
    }

    @Test("A poll answer without the platform's signature is ignored: its task never runs, and the endpoint says so")
    func unsignedAnswerIgnored() async throws {
        let platform = try await LiveStandInPlatform(unsignedTasks: true)
        defer { platform.stop() }
        // control: both, so that the test can ask over HTTP what ran.
        let endpoint = try EndpointProcess(platform: platform, identity: PullEndpoints.db, control: "both")
        await platform.enqueue(PlatformTask(id: "unsigned-1", method: "PUT", path: "/trace", body: Self.bashTemplate), for: PullEndpoints.db.uuid)
        try await eventually("the endpoint logs the ignored answer") {
            endpoint.process.standardError.contains("Ignored a poll answer not signed for this poll")
        }
        // Nothing must be stored during this 1 s after the answer was ignored.
        try await Task.sleep(for: .seconds(1))
        #expect(try await endpoint.request("GET", "/traces").body == "[]", "nothing stored")
        #expect(await platform.platform.queues.result("unsigned-1") == nil)
    }

    @Test(
        "The same task id twice, and again after a restart, starts one run; a path that is no route is 404, a bad method 400, as over HTTP"
    )
    func atMostOnce() async throws {
        let platform = try await LiveStandInPlatform()
        defer { platform.stop() }
        let endpoint = try EndpointProcess(platform: platform, identity: PullEndpoints.db)
        await platform.enqueue(PlatformTask(id: "store-1", method: "PUT", path: "/trace", body: Self.bashTemplate), for: PullEndpoints.db.uuid)
        let stored = try await platform.waitForResult("store-1")
        #expect(stored.status == 200)
        let traceNo = try #require(stored.body?["traceNo"]?.wholeNumber)
        let start = PlatformTask(
            id: "start-1",
            method: "POST",
            path: "/trace/start",
            body: .object(["traceT": .string("BPF"), "traceId": .integer(Int64(traceNo)), "lasting": .integer(1)])
        )
        await platform.enqueue(start, for: PullEndpoints.db.uuid)
        let first = try await platform.waitForResult("start-1")
        #expect(first.status == 200 && first.body?["filePath"]?.text != nil, "\(first)")
        await platform.enqueue(start, for: PullEndpoints.db.uuid)
        try await eventually("the redelivered id is answered from the record") {
            endpoint.process.standardError.contains("A task id already executed came again")
        }
        endpoint.process.send(SIGTERM)
        #expect(endpoint.process.waitForExit(timeout: 30) == 0)
        let restarted = Date()
        try endpoint.restart()
        // The stand-in platform hands a task to the endpoint's waiting poll: wait for the
        // new life's first poll, which supersedes the old life's abandoned one.
        try await eventually("the restarted endpoint polls") { await platform.lastSeen(PullEndpoints.db.uuid).map { $0 > restarted } == true }
        // The stand-in notes the poll (lastSeen) a moment before it lists it as waiting; a
        // task queued in between went to the old life's dead poll, and came back only
        // after the 60 s redelivery (seen once in a run of the suite: "after the restart too").
        try await Task.sleep(for: .milliseconds(500))
        await platform.enqueue(start, for: PullEndpoints.db.uuid)
        try await eventually("after the restart too", timeout: .seconds(20)) {
            endpoint.process.standardError.contains("A task id already executed came again")
        }
        #expect(try await platform.runCount(PullEndpoints.db.uuid) == 1, "one run for one task id")

        await platform.enqueue(PlatformTask(id: "no-route", method: "GET", path: "/no/such/route"), for: PullEndpoints.db.uuid)
        let missing = try await platform.waitForResult("no-route")
        #expect(missing.status == 404 && missing.body?["error"]?.text != nil, "\(missing)")
        await platform.enqueue(PlatformTask(id: "bad-method", method: "DELETE", path: "/traces"), for: PullEndpoints.db.uuid)
        let refused = try await platform.waitForResult("bad-method")
        #expect(refused.status == 400 && refused.body?["error"]?.text == "method: must be GET, PUT or POST, got 'DELETE'")
        await platform.enqueue(
            PlatformTask(id: "kill-1", method: "POST", path: "/trace/kill", body: .object(["killPath": .string("/x")])),
            for: PullEndpoints.db.uuid
        )
        #expect(try await platform.waitForResult("kill-1").body == .string("Killed"), "a text answer travels as a string")
    }

    @Test("The platform unreachable for 10 s: the endpoint backs off, polls again after, and a task then runs once")
    func platformDown() async throws {
        let platform = try await LiveStandInPlatform()
        defer { platform.stop() }
        let proxy = try PlatformProxy(target: platform.port)
        defer { proxy.stop() }
        var settings = PullEndpoints.db.settings(platform)
        settings["platform-url"] = proxy.url
        let endpoint = try EndpointProcess(platformURL: proxy.url, lambda: settings)
        try await eventually("it polls") { await platform.lastSeen(PullEndpoints.db.uuid) != nil }
        proxy.set(.refuse)
        // The outage's length is the point: 10 s of refused polls make it back off.
        try await Task.sleep(for: .seconds(10))
        #expect(endpoint.process.standardError.contains("Cannot poll the platform for tasks"))
        let back = Date()
        proxy.set(.forward)
        try await eventually("it polls again", timeout: .seconds(45)) { await platform.lastSeen(PullEndpoints.db.uuid).map { $0 > back } == true }
        await platform.enqueue(PlatformTask(id: "after-outage", method: "PUT", path: "/trace", body: Self.bashTemplate), for: PullEndpoints.db.uuid)
        #expect(try await platform.waitForResult("after-outage").status == 200)
        // Runs once: a second run of the task (a poll retried twice) would show within these 3 s.
        try await Task.sleep(for: .seconds(3))
        let stored = try await platform.ask(PullEndpoints.db.uuid, "/traces")
        guard case .array(let templates) = stored.body else { throw MissingValue() }
        #expect(templates.count == 1, "one template stored: \(stored)")
        _ = endpoint
    }

    @Test("SIGTERM during a long poll: the endpoint exits at once, not after the poll's wait")
    func sigtermDuringPoll() async throws {
        let platform = try await LiveStandInPlatform()
        defer { platform.stop() }
        let endpoint = try EndpointProcess(platform: platform, identity: PullEndpoints.db, pollWait: 26)
        let registered = try await eventuallyValue("it registers") { await platform.lastSeen(PullEndpoints.db.uuid) }
        // A poll moves lastSeen on arrival, before its wait: then it is in flight (or, when
        // it came before the registration, the next registration moves it, 5 s later).
        try await eventually("its long poll reaches the platform", timeout: .seconds(15)) {
            await platform.lastSeen(PullEndpoints.db.uuid).map { $0 > registered } == true
        }
        let sent = ContinuousClock.now
        endpoint.process.send(SIGTERM)
        #expect(endpoint.process.waitForExit(timeout: 30) == 0)
        #expect(ContinuousClock.now - sent < .seconds(5), "the poll in flight was cancelled")
    }

    @Test("A push endpoint pointed at the same platform never registers nor polls")
    func pushNeverPolls() async throws {
        let platform = try await LiveStandInPlatform()
        defer { platform.stop() }
        let endpoint = try EndpointProcess(platform: platform, identity: PullEndpoints.web, control: "push")
        await platform.enqueue(PlatformTask(id: "never", method: "GET", path: "/traces"), for: PullEndpoints.web.uuid)
        // Nothing must come from it during these 3 s (a pull endpoint registers and polls at start).
        try await Task.sleep(for: .seconds(3))
        #expect(await platform.endpoints().isEmpty)
        #expect(await platform.platform.queues.queuedCount(PullEndpoints.web.uuid) == 1, "its task was never taken")
        #expect(try await endpoint.request("GET", "/heartbeat").status == 200)
    }
}
