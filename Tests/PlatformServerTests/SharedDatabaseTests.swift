import Authentication
import EndpointTestSupport
import Foundation
import PlatformServer
import PlatformStore
import PlatformWire
import Testing

/// Two instances on one PostgreSQL database (docs/platform.md, *More than one instance*):
/// what one commits, the other serves at once; what must happen once happens once.
@Suite struct SharedDatabaseTests {
    static let first = TestPlatform.first
    static func labelled(_ settings: inout PlatformSettings) {
        settings.maxPollWait = 10
        settings.endpoints[0].labels = ["instance-test": "first"]
    }

    @Test func aTaskQueuedThroughAWakesAPollHeldOnBAndItsResultThroughBAnswersA() async throws {
        let pair = try await TwoInstances(configure: Self.labelled)
        defer { Task { await pair.stop() } }
        let viewer = try await pair.a.token("viewer")
        let poll = Task {
            try await pair.b.call("GET", "/tasks?endpoint=\(Self.first.uuid)&wait=10&nonce=\(TestPlatform.pollNonce())", as: Self.first)
        }
        try await eventually("B holds the poll") { await pair.b.heldPolls() == 1 }
        // The operator asks through A: a task for the pull endpoint, whose poll is on B.
        let asked = ContinuousClock.now
        let gather = Task { try await pair.a.call("GET", "/api/containers?selector=instance-test=first", bearer: viewer) }
        let answer = try await poll.value
        let wakeUp = ContinuousClock.now - asked
        #expect(answer.status == 200)
        let tasks = try answer.json([PlatformTask].self)
        #expect(tasks.map(\.path) == ["/containers"])
        #expect(wakeUp < .seconds(1), "the poll on B answered \(wakeUp) after the ask on A")
        print("SharedDatabaseTests: a task queued through A reached the poll held on B after \(wakeUp)")

        let id = try #require(tasks.first?.id)
        let answered = ContinuousClock.now
        let result = try await pair.b.call(
            "PUT",
            "/tasks/\(id)/result",
            as: Self.first,
            json: #"{"endpoint": "\#(Self.first.uuid)", "status": 200, "body": [{"id": "c-1"}]}"#
        )
        #expect(result.status == 200)
        let gathered = try await gather.value
        let backToA = ContinuousClock.now - answered
        #expect(gathered.status == 200)
        #expect(gathered.text == #"[{"containers":[{"id":"c-1"}],"endpoint":"\#(Self.first.uuid)","error":null}]"#)
        #expect(backToA < .seconds(1), "A answered \(backToA) after the result reached B")
        print("SharedDatabaseTests: the result given to B answered the ask on A after \(backToA)")
    }

    @Test func eachTaskIsHandedOutOnceAcrossBothInstances() async throws {
        let pair = try await TwoInstances()
        defer { Task { await pair.stop() } }
        let ids = (0..<100).map { "t-\($0)" }
        for id in ids {
            try await pair.a.platform.tasks.enqueue(PlatformTask(id: id, method: "GET", path: "/heartbeat"), for: Self.first.uuid)
        }
        // Two pollers on each instance, polling without waiting until the queue is empty.
        let handed = try await withThrowingTaskGroup(of: (String, [String]).self) { group in
            for (name, instance) in [("A", pair.a), ("B", pair.b), ("A", pair.a), ("B", pair.b)] {
                group.addTask {
                    var taken: [String] = []
                    while true {
                        let poll = try await instance.call(
                            "GET",
                            "/tasks?endpoint=\(Self.first.uuid)&wait=0&nonce=\(TestPlatform.pollNonce())",
                            as: Self.first
                        )
                        guard poll.status == 200 else {
                            #expect(poll.status == 204, "\(poll.status) \(poll.text)")
                            return (name, taken)
                        }
                        taken += try poll.json([PlatformTask].self).map(\.id)
                    }
                }
            }
            return try await group.reduce(into: [(String, [String])]()) { $0.append($1) }
        }
        let all = handed.flatMap(\.1)
        #expect(all.count == ids.count, "handed out \(all.count) times")
        #expect(Set(all) == Set(ids))
        let byA = handed.filter { $0.0 == "A" }.map(\.1.count).reduce(0, +)
        print("SharedDatabaseTests: 100 tasks handed out once each, \(byA) through A and \(all.count - byA) through B")
    }

    @Test func aTokenIssuedThroughAWorksOnBUntilItsLogoutThroughA() async throws {
        let pair = try await TwoInstances()
        defer { Task { await pair.stop() } }
        let admin = try await pair.a.token("admin")
        let password = "correct-horse-battery"
        let made = try await pair.a.call(
            "POST",
            "/api/accounts",
            bearer: admin,
            json: #"{"name": "ops", "role": "operator", "password": "\#(password)"}"#
        )
        #expect(made.status == 201)
        let login = try await pair.a.call("POST", "/api/login", json: #"{"name": "ops", "password": "\#(password)"}"#)
        let token = try #require(try login.json([String: String].self)["token"])
        #expect(try await pair.b.call("GET", "/api/endpoints", bearer: token).status == 200)
        #expect(try await pair.a.call("POST", "/api/logout", bearer: token).status == 204)
        #expect(try await pair.b.call("GET", "/api/endpoints", bearer: token).status == 401)
        #expect(try await pair.a.call("GET", "/api/endpoints", bearer: token).status == 401)
    }

    @Test func theLoginThrottleCountsFailuresThroughBothInstances() async throws {
        let pair = try await TwoInstances()
        defer { Task { await pair.stop() } }
        let admin = try await pair.b.token("admin")
        let password = "correct-horse-battery"
        let made = try await pair.b.call(
            "POST",
            "/api/accounts",
            bearer: admin,
            json: #"{"name": "ops", "role": "operator", "password": "\#(password)"}"#
        )
        #expect(made.status == 201)
        func login(_ instance: TestPlatform, _ password: String) async throws -> HTTPAnswer {
            try await instance.call("POST", "/api/login", json: #"{"name": "ops", "password": "\#(password)"}"#)
        }
        for (attempt, instance) in [pair.a, pair.b, pair.a, pair.b, pair.a].enumerated() {
            #expect(try await login(instance, "wrong-\(attempt)").status == 401, "failure \(attempt + 1)")
        }
        let sixth = try await login(pair.b, "wrong-6")
        #expect(sixth.status == 429)
        #expect(sixth.text == #"{"error":"too many failed logins for ops from this address; wait a minute"}"#)
        #expect(try await login(pair.a, password).status == 429)
        #expect(try await LoginFailureStore(database: pair.b.platform.database).count() == 5)
    }

    @Test func aSignedRequestAcceptedByAIsRefusedAsAReplayByBothInstances() async throws {
        let pair = try await TwoInstances()
        defer { Task { await pair.stop() } }
        let path = "/endpoints/\(Self.first.uuid)"
        let body =
            #"{"uuid": "\#(Self.first.uuid)", "hostname": "host-1", "labels": {"zone": "a"}, "version": "1.0", "control": "pull", "analyses": []}"#
        let signature = MessageSigner(uuid: Self.first.uuid, secret: Self.first.secret)
            .sign(.request, method: "PUT", pathAndQuery: path, body: Data(body.utf8)).headerValue
        // The very same bytes each time: the same Authorization, signature and body.
        let headers = ["Authorization": TestPlatform.authorizations[Self.first.uuid]!, LambdaSignature.headerName: signature]
        func send(to instance: TestPlatform) async throws -> HTTPAnswer {
            try await HTTPAnswer.call(instance.url, "PUT", path, json: body, headers: headers)
        }
        let accepted = try await send(to: pair.a)
        #expect(accepted.status == 200, "\(accepted.text)")
        let replayed = #"{"error":"Lambda-Signature: this nonce was already used (a replay)"}"#
        for instance in [pair.b, pair.a] {
            let again = try await send(to: instance)
            #expect(again.status == 401)
            #expect(again.text == replayed)
        }
        let endpoint = try #require(try await pair.b.platform.endpoints.endpoint(Self.first.uuid))
        #expect(endpoint.hostname == "host-1")
    }

    @Test func aStreamFollowedOnAShowsEachChunkSubmittedThroughBAtOnce() async throws {
        let pair = try await TwoInstances()
        defer { Task { await pair.stop() } }
        let viewer = try await pair.a.token("viewer")
        func chunk(_ no: Int) -> (json: String, bytes: Data) {
            let bytes = Data("line \(no) of the stream\n".utf8)
            return (#"{"trace": "/tmp/followed.trace", "no": \#(no), "field": "\#(bytes.base64EncodedString())"}"#, bytes)
        }
        #expect(try await pair.b.call("PUT", "/submit", as: Self.first, json: chunk(0).json).status == 200)
        let run = try #require(try await pair.a.platform.runs.run(endpoint: Self.first.uuid, filePath: "/tmp/followed.trace"))
        let reader = try await StreamReader.open("\(pair.a.url)/api/runs/\(run.id)/stream?follow=true", bearer: viewer)
        defer { reader.cancel() }
        var expected = chunk(0).bytes
        try await reader.waitFor(expected)
        var slowest = Duration.zero
        for no in 1...5 {
            let sent = ContinuousClock.now
            #expect(try await pair.b.call("PUT", "/submit", as: Self.first, json: chunk(no).json).status == 200)
            expected += chunk(no).bytes
            try await eventually("chunk \(no) reaches the follower on A", timeout: .seconds(5), poll: .milliseconds(10)) {
                reader.received == expected
            }
            let took = ContinuousClock.now - sent
            slowest = max(slowest, took)
            // Without the announcement the follower would look again only after 2 s.
            #expect(took < .seconds(1), "chunk \(no) reached A's follower \(took) after B was sent it")
        }
        print("SharedDatabaseTests: chunks submitted through B reached the follower on A within \(slowest) each")
        let finished = #"{"trace": "/tmp/followed.trace", "stderr": "", "code": 0, "status": "finished"}"#
        #expect(try await pair.b.call("PUT", "/submit", as: Self.first, json: finished).status == 200)
        try await reader.waitForEnd(timeout: .seconds(5))
        #expect(reader.received == expected)
    }

    @Test func twoRetentionSweepsAtOnceTakeTurnsAndRemoveEachRunOnce() async throws {
        let pair = try await TwoInstances()
        defer { Task { await pair.stop() } }
        let count = 12
        for no in 0..<count {
            let path = "/tmp/old-\(no).trace"
            let field = Data("old \(no)\n".utf8).base64EncodedString()
            #expect(
                try await pair.b.call("PUT", "/submit", as: Self.first, json: #"{"trace": "\#(path)", "no": 0, "field": "\#(field)"}"#).status == 200
            )
            let finished = #"{"trace": "\#(path)", "stderr": "", "code": 0, "status": "finished"}"#
            #expect(try await pair.a.call("PUT", "/submit", as: Self.first, json: finished).status == 200)
        }
        // As if the retention days had passed for every run.
        let later = Clock.milliseconds() + Int64(pair.a.platform.settings.retentionDays + 1) * 86_400_000
        let sweepOnA = RetentionService(platform: pair.a.platform)
        let sweepOnB = RetentionService(platform: pair.b.platform)

        // While A holds the lock, B's sweep does nothing.
        let whileHeld = try await pair.a.platform.database.exclusively(.retention) { try await sweepOnB.sweep(now: later) }
        #expect(whileHeld == Retention.Outcome())
        #expect(try await pair.b.platform.runs.runs().count == count)

        async let onA = sweepOnA.sweep(now: later)
        async let onB = sweepOnB.sweep(now: later)
        let outcomes = try await [onA, onB]
        #expect(outcomes.map(\.runsRemoved).sorted() == [0, count], "\(outcomes)")
        #expect(outcomes.contains(Retention.Outcome()))
        #expect(try await pair.a.platform.runs.runs().isEmpty)
    }
}
