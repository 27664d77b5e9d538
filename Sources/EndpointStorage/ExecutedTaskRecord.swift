import Foundation
import GRDB
import PlatformWire
import TraceModel

/// One row of the `task` table: a pull-mode task id the endpoint took, its result once it
/// ran, and whether that result is settled. What makes a task run at most once: the row
/// is written before the task runs, so a redelivered id, also after a restart, is
/// answered from here and never run again. Bounded by `TaskRecordBounds`.
public struct ExecutedTaskRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "task"

    public enum Columns {
        static let takenAt = Column(CodingKeys.takenAt)
        static let settled = Column(CodingKeys.settled)
    }

    public var id: String
    public var takenAt: Date
    /// nil while it runs, for ever when the endpoint stopped in between, or once evicted.
    public var result: TaskResult?
    /// The platform acknowledged the result, or refused it for good and it was dropped:
    /// nothing more to send, and the row may give way under the bounds.
    public var settled: Bool
    /// The length of `result` as stored: what `TaskRecordBounds.maxBytes` counts.
    public var resultBytes: Int64
    /// 404 answers to the result so far (`ResultOutbox` gives up after a bounded number).
    public var notFoundAnswers: Int
    /// Why the result was dropped unacknowledged (`refused`, `not-found`); nil otherwise.
    public var droppedReason: String?
    /// The result, settled, gave way to newer ones; the id stays, so it never runs again.
    public var resultEvicted: Bool

    public init(id: String, takenAt: Date) {
        self.id = id
        self.takenAt = takenAt
        self.result = nil
        self.settled = false
        self.resultBytes = 0
        self.notFoundAnswers = 0
        self.droppedReason = nil
        self.resultEvicted = false
    }
}

/// What taking a task id found.
public enum TaskClaim: Equatable, Sendable {
    /// Never seen: it is now recorded as taken, and may run.
    case new
    /// Taken before and its result recorded: that result is sent again, nothing runs.
    case done(TaskResult)
    /// Taken before without a result: it was running when the endpoint stopped (or runs
    /// now). Whether it took effect cannot be known; it is not run again.
    case inDoubt(takenAt: Date)
    /// Taken and its result settled long ago, then evicted under the byte bound: it is
    /// not run again, and its result cannot be sent again.
    case resultEvicted(takenAt: Date)
    /// Not taken, not recorded: the record is full of unsettled results (the reason,
    /// for the platform). The same id may run once there is room.
    case refused(reason: String)
}

extension EndpointDatabase {
    /// Takes `id` (one transaction: the look-up, making room and the insert). A known id
    /// with a result has it queued to be sent again (unsettled).
    public func claimTask(id: String, bounds: TaskRecordBounds = TaskRecordBounds()) async throws -> TaskClaim {
        try await writer.write { db in
            if var known = try ExecutedTaskRecord.fetchOne(db, key: id) {
                if known.resultEvicted { return .resultEvicted(takenAt: known.takenAt) }
                guard let result = known.result else { return .inDoubt(takenAt: known.takenAt) }
                if known.settled {
                    // The platform asks again: it did not keep what it acknowledged, or
                    // it refused it; either way it gets the result once more.
                    known.settled = false
                    known.droppedReason = nil
                    known.notFoundAnswers = 0
                    try known.update(db)
                }
                return .done(result)
            }
            if let reason = try Self.makeRoom(db, bounds) { return .refused(reason: reason) }
            try ExecutedTaskRecord(id: id, takenAt: Date()).insert(db)
            return .new
        }
    }

    /// Evicts settled rows, oldest first, until one more row fits `bounds`: whole rows
    /// beyond `maxRows`, results beyond `maxBytes`. The reason for the platform when
    /// unsettled rows alone fill a bound.
    static func makeRoom(_ db: Database, _ bounds: TaskRecordBounds) throws -> String? {
        let rows = try ExecutedTaskRecord.fetchCount(db)
        if rows >= bounds.maxRows {
            try db.execute(
                sql: "DELETE FROM task WHERE id IN (SELECT id FROM task WHERE settled = 1 ORDER BY takenAt LIMIT ?)",
                arguments: [rows - bounds.maxRows + 1]
            )
            let left = try ExecutedTaskRecord.fetchCount(db)
            if left >= bounds.maxRows {
                return "the endpoint's task record is full: \(left) task ids whose results the platform has not acknowledged, the most it keeps"
            }
        }
        var bytes = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(resultBytes), 0) FROM task") ?? 0
        guard bytes >= bounds.maxBytes else { return nil }
        var evicted: [String] = []
        let settled = try Row.fetchCursor(db, sql: "SELECT id, resultBytes FROM task WHERE settled = 1 AND resultBytes > 0 ORDER BY takenAt")
        while bytes >= bounds.maxBytes, let row = try settled.next() {
            evicted.append(row["id"])
            bytes -= row["resultBytes"] as Int64
        }
        if !evicted.isEmpty {
            try ExecutedTaskRecord.filter(keys: evicted).updateAll(
                db,
                Column("result").set(to: nil),
                Column("resultBytes").set(to: 0),
                Column("resultEvicted").set(to: true)
            )
        }
        guard bytes >= bounds.maxBytes else { return nil }
        return
            "the endpoint's task record is full: results the platform has not acknowledged hold \(bytes) bytes, task-results-max-bytes is \(bounds.maxBytes)"
    }
}
