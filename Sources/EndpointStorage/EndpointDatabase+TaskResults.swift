import Foundation
import GRDB
import PlatformWire

/// A result waiting in the record for the platform's acknowledgement (`ResultOutbox`).
public struct PendingTaskResult: Equatable, Sendable {
    public let id: String
    public let notFoundAnswers: Int
}

/// The record's side of pull-mode results: recorded, then settled (acknowledged or
/// dropped). Unsettled results are the result outbox, persisted.
extension EndpointDatabase {
    public func recordTaskResult(id: String, result: TaskResult) async throws {
        try await writer.write { db in
            guard var record = try ExecutedTaskRecord.fetchOne(db, key: id) else { return }
            record.result = result
            record.resultEvicted = false
            try record.update(db)
            try db.execute(sql: "UPDATE task SET resultBytes = length(CAST(result AS BLOB)) WHERE id = ?", arguments: [id])
        }
    }

    /// Rows taken before `date` that never got a result (the endpoint stopped while they
    /// ran) get `result(id, takenAt)`, to be sent: the platform learns they are in doubt
    /// and the rows can settle instead of filling the record for good.
    public func recordResultsInDoubt(takenBefore date: Date, _ result: (String, Date) -> TaskResult) async throws -> Int {
        let inDoubt = try await writer.read { db in
            try ExecutedTaskRecord.filter(Column("result") == nil && Column("resultEvicted") == false && ExecutedTaskRecord.Columns.takenAt < date)
                .fetchAll(db)
        }
        for record in inDoubt { try await recordTaskResult(id: record.id, result: result(record.id, record.takenAt)) }
        return inDoubt.count
    }

    public func recordTaskAcknowledged(id: String) async throws {
        try await writer.write { db in
            try ExecutedTaskRecord.filter(key: id).updateAll(
                db,
                ExecutedTaskRecord.Columns.settled.set(to: true),
                Column("droppedReason").set(to: nil)
            )
        }
    }

    /// Settles a result the platform would not take, saying why.
    public func recordTaskResultDropped(id: String, reason: String) async throws {
        try await writer.write { db in
            try ExecutedTaskRecord.filter(key: id).updateAll(
                db,
                ExecutedTaskRecord.Columns.settled.set(to: true),
                Column("droppedReason").set(to: reason)
            )
        }
    }

    /// Counts one more 404 to the result of `id`; the count so far.
    public func recordTaskResultNotFound(id: String) async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: "UPDATE task SET notFoundAnswers = notFoundAnswers + 1 WHERE id = ?", arguments: [id])
            return try Int.fetchOne(db, sql: "SELECT notFoundAnswers FROM task WHERE id = ?", arguments: [id]) ?? 0
        }
    }

    /// Results not settled yet, oldest first, at most `limit` (without the results:
    /// each may be 4 MiB; `taskResult(id:)` reads one when it is sent).
    public func pendingTaskResults(limit: Int) async throws -> [PendingTaskResult] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, notFoundAnswers FROM task WHERE settled = 0 AND result IS NOT NULL ORDER BY takenAt LIMIT ?",
                arguments: [limit]
            ).map { PendingTaskResult(id: $0["id"], notFoundAnswers: $0["notFoundAnswers"]) }
        }
    }

    public func taskResult(id: String) async throws -> TaskResult? {
        try await writer.read { db in try ExecutedTaskRecord.fetchOne(db, key: id)?.result }
    }

    /// What the record holds: ids, stored result bytes, unsettled ids.
    public func taskRecordUsage() async throws -> (rows: Int, bytes: Int64, unsettled: Int) {
        try await writer.read { db in
            let row = try Row.fetchOne(
                db,
                sql: "SELECT COUNT(*) AS rows, COALESCE(SUM(resultBytes), 0) AS bytes, COALESCE(SUM(settled = 0), 0) AS unsettled FROM task"
            )
            return (row?["rows"] ?? 0, row?["bytes"] ?? 0, row?["unsettled"] ?? 0)
        }
    }
}
