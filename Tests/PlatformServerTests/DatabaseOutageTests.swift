import EndpointTestSupport
import Foundation
import PlatformServer
import PlatformStore
import PlatformWire
import Synchronization
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

    @Test func writesInFlightWhenTheDatabaseStopsAreEitherAcknowledgedAndStoredOrRefused() async throws {
        let own = try await OwnCluster()
        let test = try await own.platform()
        defer {
            Task {
                await test.stop()
                await own.cluster.remove()
            }
        }
        let chunk = Self.inFlightChunk
        // Senders go on until refused: `bound` only bounds a stop that never comes.
        let bound = 2000
        #expect(try await test.call("PUT", "/submit", as: Self.first, json: chunk(0).json).status == 200)
        let run = try #require(try await test.platform.runs.run(endpoint: Self.first.uuid, filePath: "/tmp/in-flight.trace"))
        // Four senders take the next chunk each; PostgreSQL stops while they send.
        let sending = Sending()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while true {
                        let no = sending.next.withLock { value in
                            defer { value += 1 }
                            return value
                        }
                        guard no < bound else { return }
                        let answer = try await test.call("PUT", "/submit", as: Self.first, json: chunk(no).json)
                        let status = answer.status
                        sending.statuses.withLock { $0[no] = status }
                        #expect([200, 503].contains(status), "chunk \(no): \(status) \(answer.text)")
                        // As an endpoint, it backs off once refused (each refusal takes the lease timeout).
                        guard status == 200 else { return }
                    }
                }
            }
            group.addTask {
                try await eventually("some chunks are taken", timeout: .seconds(20), poll: .milliseconds(5)) {
                    sending.statuses.withLock { $0.values.filter { $0 == 200 }.count } >= 5
                }
                try await own.cluster.stop()
            }
            try await group.waitForAll()
        }
        let answered = sending.statuses.withLock { $0 }
        let acknowledged = Set(answered.filter { $0.value == 200 }.map(\.key)).union([0])
        #expect(answered.values.contains(503), "PostgreSQL stopped after all \(bound) chunks were sent")
        let count = (answered.keys.max() ?? 0) + 1

        try await own.cluster.start()
        let name = String(own.url.split(separator: "/").last!.split(separator: "?").first!)
        let stored = try await eventuallyValue("the database is back", timeout: .seconds(15), poll: .milliseconds(200)) {
            try? await own.cluster.psql("SELECT no FROM chunks WHERE run = '\(run.id)' ORDER BY no", database: name)
        }.split(separator: "\n").compactMap { Int($0) }
        #expect(acknowledged.isSubset(of: Set(stored)), "acknowledged but not stored: \(acknowledged.subtracting(stored).sorted())")
        // The run's counters agree with the chunks stored: no write was half done.
        let contiguous = (0...count).first { !stored.contains($0) }!
        let counters = try await own.cluster.psql(
            "SELECT chunks, bytes, stored_bytes, highest_no FROM runs WHERE id = '\(run.id)'",
            database: name
        )
        let expected = [
            contiguous, (0..<contiguous).map { chunk($0).bytes.count }.reduce(0, +), stored.map { chunk($0).bytes.count }.reduce(0, +),
            stored.max() ?? -1,
        ]
        #expect(counters == expected.map(String.init).joined(separator: "|"))

        // The endpoint sends again what was not acknowledged: the stream is whole, in order.
        for no in 1..<count where !acknowledged.contains(no) {
            try await eventually("chunk \(no) is taken", timeout: .seconds(15), poll: .milliseconds(200)) {
                try await test.call("PUT", "/submit", as: Self.first, json: chunk(no).json).status == 200
            }
        }
        let token = try await test.token("viewer")
        let stream = try await test.call("GET", "/api/runs/\(run.id)/stream", bearer: token)
        #expect(stream.body == (0..<count).map { chunk($0).bytes }.reduce(Data(), +))
        print("DatabaseOutageTests: \(acknowledged.count) of \(count) chunks sent acknowledged before the stop, \(stored.count) stored")
    }

    /// Chunks of different lengths, so that the run's byte counters tell which were counted.
    static func inFlightChunk(_ no: Int) -> (json: String, bytes: Data) {
        let bytes = Data("in flight \(no) \(String(repeating: "x", count: no))\n".utf8)
        return (#"{"trace": "/tmp/in-flight.trace", "no": \#(no), "field": "\#(bytes.base64EncodedString())"}"#, bytes)
    }

    /// The next chunk number to send, and each one's answer, shared by the senders.
    final class Sending: Sendable {
        let next = Mutex(1)
        let statuses = Mutex([Int: Int]())
    }
}
