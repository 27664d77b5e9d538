import Foundation
import GRDB
import Testing

@testable import EndpointStorage
@testable import PlatformWire
@testable import TraceModel

@Suite("SQLite template store")
struct EndpointDatabaseTests {
    static func temporaryDatabasePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lambda-endpoint-db-\(UUID().uuidString).sqlite3").path
    }

    let bash = TraceTemplate(process: "/bin/bash", functions: ["xmalloc", "xfree"], traceType: ["BPF", "STAP"])

    @Test("Templates survive closing and reopening the file; numbers are never reused")
    func persistence() async throws {
        let path = Self.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let database = try EndpointDatabase(path: path, poolSize: 2)
            #expect(try await database.storeTemplate(bash)?.templateId == 1)
            #expect(try await database.storeTemplate(bash)?.templateId == 2)
            #expect(
                try await database.removeTracer(.bpf, fromTemplate: 2)
                    == .tracerRemoved(
                        remaining: StoredTemplate(
                            templateId: 2,
                            info: TraceTemplate(process: "/bin/bash", functions: ["xmalloc", "xfree"], traceType: ["STAP"])
                        )
                    )
            )
            #expect(try await database.removeTracer(.stap, fromTemplate: 2) == .templateDeleted)
        }
        let reopened = try EndpointDatabase(path: path, poolSize: 2)
        #expect(reopened.allTemplates() == [StoredTemplate(templateId: 1, info: bash)])
        #expect(try await reopened.storeTemplate(bash)?.templateId == 3)
        #expect(try await reopened.template(id: 3)?.info == bash)
        #expect(try await reopened.template(id: 2) == nil)
    }

    @Test("Removing a tracer the template does not have, or a missing template, changes nothing")
    func removeNotFound() async throws {
        let path = Self.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try EndpointDatabase(path: path, poolSize: 1)
        let stored = try #require(try await database.storeTemplate(TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], traceType: ["BPF"])))
        #expect(try await database.removeTracer(.stap, fromTemplate: stored.templateId) == .notFound)
        #expect(try await database.removeTracer(.bpf, fromTemplate: 99) == .notFound)
        #expect(database.allTemplates() == [stored])
    }

    @Test("The template list answered from memory matches the file after every change")
    func listFollowsWrites() async throws {
        let path = Self.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try EndpointDatabase(path: path, poolSize: 1)
        func fromFile() throws -> [StoredTemplate] { try EndpointDatabase(path: path, poolSize: 1).allTemplates() }
        let first = try #require(try await database.storeTemplate(bash))
        let second = try #require(try await database.storeTemplate(TraceTemplate(process: "/bin/bash", functions: ["xfree"], traceType: ["BPF"])))
        #expect(database.allTemplates() == [first, second])
        #expect(try fromFile() == [first, second])
        _ = try await database.removeTracer(.stap, fromTemplate: first.templateId)
        #expect(database.allTemplates().map(\.info.traceType) == [["BPF"], ["BPF"]])
        #expect(try fromFile() == database.allTemplates())
        _ = try await database.removeTracer(.bpf, fromTemplate: second.templateId)
        #expect(database.allTemplates().map(\.templateId) == [first.templateId])
        #expect(try fromFile() == database.allTemplates())
        _ = try await database.removeTracer(.bpf, fromTemplate: 99)
        #expect(try fromFile() == database.allTemplates())
    }

    @Test("At the template limit nothing more is stored; a removal makes room again")
    func templateLimit() async throws {
        let path = Self.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try EndpointDatabase(path: path, poolSize: 1)
        let first = try #require(try await database.storeTemplate(bash, limit: 2))
        _ = try #require(try await database.storeTemplate(bash, limit: 2))
        #expect(try await database.storeTemplate(bash, limit: 2) == nil)
        #expect(database.allTemplates().count == 2)
        #expect(try EndpointDatabase(path: path, poolSize: 1).allTemplates().count == 2)
        _ = try await database.removeTracer(.bpf, fromTemplate: first.templateId)
        _ = try await database.removeTracer(.stap, fromTemplate: first.templateId)
        #expect(try await database.storeTemplate(bash, limit: 2) != nil)
    }

    @Test("An unopenable path throws instead of crashing")
    func unopenablePath() {
        #expect(throws: (any Error).self) { try EndpointDatabase(path: "/nonexistent-dir/x.sqlite3", poolSize: 1) }
    }

    @Test("Runs: recorded at start, progress and exit persisted, undelivered listed until delivered; history bounded")
    func runLifecycle() async throws {
        let path = Self.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))  // SQLite keeps milliseconds
        var cursor = DeliveryCursor()
        cursor.startAcknowledged = true
        cursor.chunksAcknowledged = 3
        cursor.bytesAcknowledged = 3072
        cursor.retries = 2
        cursor.refusedMessages = 1
        cursor.lastDeliveryError = "platform answered 503"
        cursor.lastStatusCode = 503
        cursor.shortChunkLength = 700
        func record(_ number: Int) -> RunRecord {
            RunRecord(
                filePath: "/tmp/run-\(number).trace",
                runNumber: number,
                template: bash,
                tracer: "BPF",
                lastingSeconds: 10,
                startedAt: now.addingTimeInterval(Double(number)),
                deadline: now.addingTimeInterval(10),
                privilege: "root"
            )
        }
        do {
            let database = try EndpointDatabase(path: path, poolSize: 1)
            for number in 1...4 { try await database.recordRunStarted(record(number)) }
            try await database.recordDeliveryProgress(filePath: "/tmp/run-1.trace", cursor: cursor)
            try await database.recordTracerExit(filePath: "/tmp/run-1.trace", code: 0, stderr: "bye\n", bytesWritten: 4000, failure: nil)
            try await database.recordTracerLaunched(filePath: "/tmp/run-2.trace", pid: 4242, startTime: 123_456, bootID: "a-boot-id")
            try await database.recordRunDelivered(filePath: "/tmp/run-3.trace", keepFinished: 1)
            try await database.recordRunDelivered(filePath: "/tmp/run-4.trace", keepFinished: 1)
            await #expect(throws: (any Error).self) { try await database.recordRunStarted(record(1)) }
        }
        // After a "restart": what resumes, and what is remembered.
        let reopened = try EndpointDatabase(path: path, poolSize: 1)
        let undelivered = try await reopened.undeliveredRuns()
        #expect(undelivered.map(\.run.filePath) == ["/tmp/run-1.trace", "/tmp/run-2.trace"])
        var expected = record(1)
        expected.exitCode = 0
        expected.stderr = "bye\n"
        expected.bytesWritten = 4000
        #expect(undelivered.first == StoredRun(run: expected, delivery: cursor))
        #expect(undelivered.last?.run.exitCode == nil)
        #expect(undelivered.last?.run.tracerPID == 4242 && undelivered.last?.run.tracerStartTime == 123_456)
        #expect(undelivered.last?.run.tracerBootID == "a-boot-id")
        #expect(undelivered.last?.delivery == DeliveryCursor())
        let finished = try await reopened.finishedRuns(limit: 10)
        #expect(finished.map(\.run.filePath) == ["/tmp/run-4.trace"])
        #expect(finished.first?.delivery.finishedAcknowledged == true)
        #expect(finished.first?.run.finishedAt != nil)
        #expect(try await reopened.highestRunNumber() == 4)
    }

    @Test("A targeted run's recorded target comes back from the file as the object it was stored as")
    func recordedTargetKeepsItsShape() async throws {
        let path = Self.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let target: [String: JSONValue] = [
            "target": .object(["container": .string("4a90748246ac")]), "resolved": .object(["filter": .string("cgroup"), "matches": .array([])]),
        ]
        let record = RunRecord(
            filePath: "/tmp/targeted.trace",
            runNumber: 1,
            template: bash,
            tracer: "BPF",
            lastingSeconds: 10,
            startedAt: now,
            deadline: now.addingTimeInterval(10),
            privilege: "root",
            target: target
        )
        do { try await EndpointDatabase(path: path, poolSize: 1).recordRunStarted(record) }
        let stored = try await EndpointDatabase(path: path, poolSize: 1).undeliveredRuns()
        #expect(stored.first?.run.target == target)
    }
}

/// A database written by the previous version (v2: the cursor in the run table) opens
/// with every undelivered run's position intact in the delivery table.
@Suite("Database migration v2 → v3 → v4")
struct DatabaseMigrationTests {
    @Test("The cursor columns of v2's run table move to the delivery table, values kept")
    func cursorMovesToItsTable() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("migrate-\(UUID().uuidString).sqlite3").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let old = try DatabaseQueue(path: path)
            try EndpointDatabase.migrator.migrate(old, upTo: "v2: runs")
            try await old.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO run (filePath, thread, template, tracer, lastingSeconds, startedAt, deadline, privilege, startAcknowledged,
                        chunksAcknowledged, bytesAcknowledged, finishedAcknowledged, retries, refusedMessages, lastError)
                        VALUES ('/tmp/old.trace', 7, '{"process":"/bin/bash","functions":["xmalloc"],"environment":[],"value":[],"options":[],"traceType":["BPF"]}',
                        'BPF', 10, '2026-11-30 10:00:00.000', '2026-11-30 10:00:10.000', 'root', 1, 5, 5120, 0, 3, 1, 'platform answered 503')
                        """
                )
            }
        }
        let database = try EndpointDatabase(path: path, poolSize: 1)
        let runs = try await database.undeliveredRuns()
        #expect(runs.map(\.run.filePath) == ["/tmp/old.trace"])
        var expected = DeliveryCursor()
        expected.startAcknowledged = true
        expected.chunksAcknowledged = 5
        expected.bytesAcknowledged = 5120
        expected.retries = 3
        expected.refusedMessages = 1
        expected.lastDeliveryError = "platform answered 503"
        #expect(runs.first?.delivery == expected)
        #expect(runs.first?.run.runNumber == 7)
        // A run recorded before v9 has no boot id: its leftover tracer is judged as before.
        #expect(runs.first?.run.tracerBootID == nil)
    }
}
