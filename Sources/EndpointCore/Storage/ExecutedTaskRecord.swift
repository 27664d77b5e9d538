import Foundation
import GRDB

/// One row of the `task` table: a pull-mode task id the endpoint took, its result once it
/// ran, and whether the platform acknowledged that result. What makes a task run at most
/// once: the row is written before the task runs, so a redelivered id, also after a
/// restart, is answered from here and never run again.
public struct ExecutedTaskRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "task"

    public enum Columns {
        static let takenAt = Column(CodingKeys.takenAt)
        static let acknowledged = Column(CodingKeys.acknowledged)
    }

    public var id: String
    public var takenAt: Date
    /// nil while it runs, or for ever when the endpoint stopped in between.
    public var result: TaskResult?
    public var acknowledged: Bool

    public init(id: String, takenAt: Date, result: TaskResult? = nil, acknowledged: Bool = false) {
        self.id = id
        self.takenAt = takenAt
        self.result = result
        self.acknowledged = acknowledged
    }
}

/// What taking a task id found.
public enum TaskClaim: Equatable, Sendable {
    /// Never seen: it is now recorded as taken, and may run.
    case new
    /// Taken before and its result recorded: send that again, run nothing.
    case done(TaskResult)
    /// Taken before without a result: it was running when the endpoint stopped (or runs
    /// now). Whether it took effect cannot be known; it is not run again.
    case inDoubt(takenAt: Date)
}

extension EndpointDatabase {
    /// Executed ids kept: the oldest go first beyond this. A platform redelivers an id
    /// within minutes; 10,000 rows are about 2 MB.
    public static let executedTasksKept = 10_000

    /// Takes `id` (one transaction: the look-up and the insert), dropping the oldest rows
    /// beyond `kept`.
    public func claimTask(id: String, kept: Int = EndpointDatabase.executedTasksKept) async throws -> TaskClaim {
        try await writer.write { db in
            if let known = try ExecutedTaskRecord.fetchOne(db, key: id) {
                return known.result.map(TaskClaim.done) ?? .inDoubt(takenAt: known.takenAt)
            }
            try ExecutedTaskRecord(id: id, takenAt: Date()).insert(db)
            let count = try ExecutedTaskRecord.fetchCount(db)
            if count > kept {
                let oldest = try ExecutedTaskRecord.order(ExecutedTaskRecord.Columns.takenAt).limit(count - kept).fetchAll(db)
                _ = try ExecutedTaskRecord.deleteAll(db, keys: oldest.map(\.id))
            }
            return .new
        }
    }

    public func recordTaskResult(id: String, result: TaskResult) async throws {
        try await writer.write { db in
            guard var record = try ExecutedTaskRecord.fetchOne(db, key: id) else { return }
            record.result = result
            try record.update(db)
        }
    }

    public func recordTaskAcknowledged(id: String) async throws {
        try await writer.write { db in
            try ExecutedTaskRecord.filter(key: id).updateAll(db, ExecutedTaskRecord.Columns.acknowledged.set(to: true))
        }
    }

    /// Results the platform has not acknowledged yet, oldest first: sent again at start.
    public func unacknowledgedTaskResults() async throws -> [(id: String, result: TaskResult)] {
        try await writer.read { db in
            try ExecutedTaskRecord.filter(ExecutedTaskRecord.Columns.acknowledged == false).order(ExecutedTaskRecord.Columns.takenAt).fetchAll(db)
                .compactMap { record in record.result.map { (record.id, $0) } }
        }
    }
}
