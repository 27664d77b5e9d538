import EndpointTestSupport
import Foundation
import PlatformServer
import PlatformStore
import PlatformWire
import Testing

/// PostgreSQL stopped under a running platform, then started again (docs/platform.md,
/// *More than one instance*): what needs the database is 503 with `Retry-After` while it
/// is away, never 2xx and never a password; once it is back the same requests succeed
/// without restarting the platform, and the announcements are heard again.
@Suite struct DatabaseOutageTests {
    static let first = TestPlatform.first

    /// A cluster of the test's own (stopping the shared one would fail the tests beside),
    /// a database owned by a role that must give its password, which the platform reads
    /// from its `database-password-file`.
    struct OwnCluster {
        let cluster: PostgresCluster
        let url: String
        let password = "outage-pw-\(UUID().uuidString)"

        init() async throws {
            cluster = try await PostgresCluster()
            url = try await cluster.databaseOwned(byRoleWithPassword: password, rolePrefix: "outage")
        }

        func platform() async throws -> TestPlatform {
            let url = url
            let password = password
            return try await TestPlatform(configure: {
                $0.database = url
                $0.databasePoolSize = 4
                $0.maxPollWait = 10
                let file = $0.directory + "/db-password"
                _ = FileManager.default.createFile(atPath: file, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600])
                $0.databasePasswordFile = "db-password"
            })
        }
    }

    func chunk(_ no: Int) -> (json: String, bytes: Data) {
        let bytes = Data("outage line \(no)\n".utf8)
        return (#"{"trace": "/tmp/outage.trace", "no": \#(no), "field": "\#(bytes.base64EncodedString())"}"#, bytes)
    }

    @Test func whileTheDatabaseIsDownRequestsAre503AndOnceItIsBackTheySucceedWithoutARestart() async throws {
        let own = try await OwnCluster()
        let test = try await own.platform()
        // A second instance, which queues a task once the database is back.
        let other = try await own.platform()
        let listener = Task { await test.platform.listenForAnnouncements() }
        defer {
            listener.cancel()
            Task {
                await other.stop()
                await test.stop()
                await own.cluster.remove()
            }
        }
        try await TwoInstances.listening(own.cluster, own.url, count: 1)
        let token = try await test.token("operator")
        #expect(try await test.call("PUT", "/submit", as: Self.first, json: chunk(0).json).status == 200)
        let registration = #"{"uuid": "\#(Self.first.uuid)", "hostname": "before", "labels": {}, "version": "1", "control": "pull", "analyses": []}"#
        #expect(try await test.call("PUT", "/endpoints/\(Self.first.uuid)", as: Self.first, json: registration).status == 200)

        try await own.cluster.stop()
        // An endpoint's chunk, its registration and poll, an operator's read: all at once.
        let during = try await withThrowingTaskGroup(of: (String, HTTPAnswer, Duration).self) { group in
            let requests: [(String, @Sendable () async throws -> HTTPAnswer)] = [
                ("PUT /submit", { try await test.call("PUT", "/submit", as: Self.first, json: self.chunk(1).json) }),
                (
                    "PUT /endpoints",
                    {
                        try await test.call(
                            "PUT",
                            "/endpoints/\(Self.first.uuid)",
                            as: Self.first,
                            json: registration.replacingOccurrences(of: "before", with: "during")
                        )
                    }
                ),
                (
                    "GET /tasks",
                    { try await test.call("GET", "/tasks?endpoint=\(Self.first.uuid)&wait=1&nonce=\(TestPlatform.pollNonce())", as: Self.first) }
                ),
                ("GET /api/runs", { try await test.call("GET", "/api/runs", bearer: token) }),
            ]
            for (name, request) in requests {
                group.addTask {
                    let started = ContinuousClock.now
                    let answer = try await request()
                    return (name, answer, ContinuousClock.now - started)
                }
            }
            return try await group.reduce(into: [(String, HTTPAnswer, Duration)]()) { $0.append($1) }
        }
        for (name, answer, took) in during {
            #expect(answer.status == 503, "\(name): \(answer.status) \(answer.text)")
            #expect(answer.headers["retry-after"] == "2", "\(name)")
            let error = try answer.json([String: String].self)["error"] ?? ""
            #expect(error.hasPrefix("database unavailable: ") && error.hasSuffix("; retry"), "\(name): \(answer.text)")
            #expect(!answer.text.contains(own.password) && !answer.text.contains("db-password"), "\(name): \(answer.text)")
            #expect(took < .seconds(7), "\(name) answered after \(took)")
        }
        let slowest = during.map(\.2).max() ?? .zero
        print("DatabaseOutageTests: during the outage every request was 503 within \(slowest)")

        try await own.cluster.start()
        let restarted = ContinuousClock.now
        try await eventually("the operator's read succeeds again", timeout: .seconds(15), poll: .milliseconds(200)) {
            try await test.call("GET", "/api/runs", bearer: token).status == 200
        }
        print("DatabaseOutageTests: the platform answered 200 again \(ContinuousClock.now - restarted) after PostgreSQL started")
        // Nothing of what was refused was stored.
        let run = try #require(try await test.platform.runs.run(endpoint: Self.first.uuid, filePath: "/tmp/outage.trace"))
        #expect(run.chunks == 1 && run.bytes == Int64(chunk(0).bytes.count))
        #expect(try await test.platform.endpoints.endpoint(Self.first.uuid)?.hostname == "before")

        // The endpoint retries the chunk (a new signature) until it is taken, and once more
        // (it never saw the answer): stored once, the stream byte for byte.
        try await eventually("the chunk retried is taken", timeout: .seconds(15), poll: .milliseconds(200)) {
            try await test.call("PUT", "/submit", as: Self.first, json: chunk(1).json).status == 200
        }
        #expect(try await test.call("PUT", "/submit", as: Self.first, json: chunk(1).json).status == 200)
        let stream = try await test.call("GET", "/api/runs/\(run.id)/stream", bearer: token)
        #expect(stream.status == 200)
        #expect(stream.body == chunk(0).bytes + chunk(1).bytes)
        #expect(try await test.platform.runs.run(run.id)?.chunks == 2)

        // The listener is back: a task another instance queues wakes a poll held here.
        try await TwoInstances.listening(own.cluster, own.url, count: 1)
        let poll = Task { try await test.call("GET", "/tasks?endpoint=\(Self.first.uuid)&wait=10&nonce=\(TestPlatform.pollNonce())", as: Self.first) }
        try await eventually("the poll is held") { await test.heldPolls() == 1 }
        let queued = ContinuousClock.now
        try await other.platform.tasks.enqueue(PlatformTask(id: "after-outage", method: "GET", path: "/heartbeat"), for: Self.first.uuid)
        await other.platform.announce(.taskQueued, Self.first.uuid)
        let answer = try await poll.value
        let wakeUp = ContinuousClock.now - queued
        #expect(answer.status == 200)
        #expect(try answer.json([PlatformTask].self).map(\.id) == ["after-outage"])
        #expect(wakeUp < .seconds(1), "the poll answered \(wakeUp) after the task was queued elsewhere")
        print("DatabaseOutageTests: after the outage a task queued by another instance woke the poll after \(wakeUp)")
    }
}
