import Foundation
import GRDB
import Testing

@testable import EndpointStorage
@testable import PlatformWire
@testable import TraceModel

/// The record of pull-mode tasks under its bounds (`TaskRecordBounds`): only settled rows
/// give way, a full record refuses a new id, and no id the platform may redeliver is
/// forgotten so that it would run again.
@Suite("Pull-mode task record: bounded by rows and result bytes, evicting settled rows only")
struct TaskRecordBoundsTests {
    static func temporaryDatabasePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lambda-task-record-\(UUID().uuidString).sqlite3").path
    }

    /// A result of about `bytes` bytes as stored.
    static func result(_ bytes: Int) -> TaskResult {
        TaskResult(endpoint: "u", status: 200, body: .string(String(repeating: "x", count: bytes)))
    }

    func ran(_ database: EndpointDatabase, _ id: String, _ bounds: TaskRecordBounds, bytes: Int = 100) async throws {
        #expect(try await database.claimTask(id: id, bounds: bounds) == .new, "\(id)")
        try await database.recordTaskResult(id: id, result: Self.result(bytes))
    }

    @Test("Rows: beyond maxRows the oldest settled row goes; when every row is unsettled a new id is refused and a known one still answered")
    func rowBound() async throws {
        let path = Self.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try EndpointDatabase(path: path, poolSize: 1)
        let bounds = TaskRecordBounds(maxBytes: 1 << 20, maxRows: 3)
        for id in ["a", "b", "c"] { try await ran(database, id, bounds) }

        guard case .refused(let reason) = try await database.claimTask(id: "d", bounds: bounds) else {
            Issue.record("three unsettled rows fill a record of three: d is refused")
            return
        }
        #expect(reason == "the endpoint's task record is full: 3 task ids whose results the platform has not acknowledged, the most it keeps")
        #expect(try await database.claimTask(id: "a", bounds: bounds) == .done(Self.result(100)), "nothing forgotten: a is not run again")

        try await database.recordTaskAcknowledged(id: "b")
        try await ran(database, "d", bounds)
        #expect(try await database.taskRecordUsage().rows == 3)
        guard case .refused = try await database.claimTask(id: "b", bounds: bounds) else {
            Issue.record("b, settled, gave way to d; while a, c and d are unsettled, a redelivered b is refused, not run")
            return
        }
    }

    @Test("Bytes: beyond maxBytes settled results are evicted oldest first, their ids kept; unsettled results filling it refuse a new id")
    func byteBound() async throws {
        let path = Self.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try EndpointDatabase(path: path, poolSize: 1)
        let bounds = TaskRecordBounds(maxBytes: 3000, maxRows: 100)
        for id in ["a", "b", "c"] { try await ran(database, id, bounds, bytes: 1000) }
        let full = try await database.taskRecordUsage()
        #expect(full.rows == 3 && full.unsettled == 3 && full.bytes > 3000, "\(full)")

        #expect(
            try await database.claimTask(id: "d", bounds: bounds)
                == .refused(
                    reason:
                        "the endpoint's task record is full: results the platform has not acknowledged hold \(full.bytes) bytes, task-results-max-bytes is 3000"
                )
        )
        try await database.recordTaskAcknowledged(id: "a")
        try await database.recordTaskResultDropped(id: "b", reason: "not-found")
        try await ran(database, "d", bounds, bytes: 10)
        let evicted = try await database.taskRecordUsage()
        #expect(evicted.rows == 4 && evicted.bytes < full.bytes - 900, "a's result went: \(evicted)")
        guard case .resultEvicted = try await database.claimTask(id: "a", bounds: bounds) else {
            Issue.record("a ran: evicting its result keeps its id, so it never runs again")
            return
        }
        #expect(try await database.claimTask(id: "b", bounds: bounds) == .done(Self.result(1000)), "b's result was enough to make room")
    }

    @Test("The outbox's side: 404 answers counted across a reopen, a dropped result settled, results in doubt of an earlier life answered 409")
    func settling() async throws {
        let path = Self.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let database = try EndpointDatabase(path: path, poolSize: 1)
            try await ran(database, "lost", TaskRecordBounds())
            #expect(try await database.recordTaskResultNotFound(id: "lost") == 1)
            #expect(try await database.claimTask(id: "stopped") == .new)
        }
        let reopened = try EndpointDatabase(path: path, poolSize: 1)
        #expect(try await reopened.pendingTaskResults(limit: 10) == [PendingTaskResult(id: "lost", notFoundAnswers: 1)])
        #expect(try await reopened.recordTaskResultNotFound(id: "lost") == 2)
        try await reopened.recordTaskResultDropped(id: "lost", reason: "not-found")
        #expect(try await reopened.pendingTaskResults(limit: 10).isEmpty)

        let answered = try await reopened.recordResultsInDoubt(takenBefore: Date()) { id, _ in
            TaskResult(endpoint: "u", status: 409, body: .string("\(id) in doubt"))
        }
        #expect(answered == 1)
        #expect(try await reopened.pendingTaskResults(limit: 10).map(\.id) == ["stopped"])
        #expect(try await reopened.taskResult(id: "stopped") == TaskResult(endpoint: "u", status: 409, body: .string("stopped in doubt")))
        #expect(try await reopened.claimTask(id: "new") == .new)
        #expect(
            try await reopened.recordResultsInDoubt(takenBefore: Date.distantPast) { _, _ in Self.result(1) } == 0,
            "a task of this life is not in doubt"
        )
    }

    @Test("A v7 record migrates: its rows kept, acknowledged ones settled, their result bytes counted")
    func migration() async throws {
        let path = Self.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let old = try DatabaseQueue(path: path)
            try EndpointDatabase.migrator.migrate(old, upTo: "v7: pull-mode tasks taken, their results and acknowledgements")
            try await old.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO task (id, takenAt, result, acknowledged) VALUES
                        ('old-acked', '2026-11-30 10:00:00.000', '{"endpoint":"u","status":200,"body":"x"}', 1),
                        ('old-pending', '2026-11-30 10:00:01.000', '{"endpoint":"u","status":200,"body":"yy"}', 0)
                        """
                )
            }
        }
        let database = try EndpointDatabase(path: path, poolSize: 1)
        #expect(try await database.pendingTaskResults(limit: 10) == [PendingTaskResult(id: "old-pending", notFoundAnswers: 0)])
        let usage = try await database.taskRecordUsage()
        #expect(usage.rows == 2 && usage.unsettled == 1)
        #expect(
            usage.bytes == Int64(#"{"endpoint":"u","status":200,"body":"x"}"#.utf8.count + #"{"endpoint":"u","status":200,"body":"yy"}"#.utf8.count)
        )
    }
}
