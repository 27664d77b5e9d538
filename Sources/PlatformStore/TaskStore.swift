import Foundation
import PlatformWire
import SQLKit

/// Tasks for pull endpoints: queued for one endpoint, handed out by its polls, answered
/// by it alone. A task handed out whose result has not come within `redeliverAfter` is
/// handed out again (the poll's answer may never have reached the endpoint); the
/// endpoint runs an id at most once and answers a repeat with its recorded result.
public struct TaskStore: Sendable {
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case duplicateID(String)
        case queueFull(endpoint: String, limit: Int)
        case tooManyTasks(limit: Int)
        case unknownTask(String)
        /// The result came from an endpoint the task was not handed to.
        case notYours(task: String)
        case notHandedOut(String)

        public var description: String {
            switch self {
            case .duplicateID(let id): return "id: task \(id) exists already"
            case let .queueFull(endpoint, limit): return "endpoint \(endpoint) has \(limit) tasks waiting already; refused"
            case .tooManyTasks(let limit): return "the platform holds \(limit) tasks waiting; refused"
            case .unknownTask(let id): return "no task \(id)"
            case .notYours(let id): return "task \(id) was not handed to this endpoint"
            case .notHandedOut(let id): return "task \(id) has not been handed out yet"
            }
        }
    }

    public static let redeliverAfterMilliseconds: Int64 = 60_000
    /// A poll takes at most this many tasks.
    public static let maxPerPoll = 16
    /// A result's body is kept up to this many bytes of JSON.
    public static let maxResultBytes = 16 << 20

    public let database: any PlatformDatabase
    public let maxQueuedPerEndpoint: Int
    public let maxTasks: Int

    public init(database: any PlatformDatabase, maxQueuedPerEndpoint: Int = 1000, maxTasks: Int = 100_000) {
        self.database = database
        self.maxQueuedPerEndpoint = maxQueuedPerEndpoint
        self.maxTasks = maxTasks
    }

    /// Queues `task` for `endpoint`; committed when it returns. Beyond `maxTasks` rows the
    /// oldest answered tasks make room; waiting ones are never dropped (refused instead).
    public func enqueue(_ task: PlatformTask, for endpoint: String, session: String? = nil, now: Int64 = Clock.milliseconds()) async throws {
        let json = String(decoding: try JSONEncoder().encode(task), as: UTF8.self)
        let maxQueued = maxQueuedPerEndpoint
        let maxTasks = maxTasks
        try await database.write { sql in
            if try await sql.raw("SELECT id FROM tasks WHERE id = \(bind: task.id)").first() != nil { throw Refusal.duplicateID(task.id) }
            let waiting = try await sql.count("SELECT COUNT(*) AS n FROM tasks WHERE endpoint = \(bind: endpoint) AND result_at IS NULL")
            guard waiting < maxQueued else { throw Refusal.queueFull(endpoint: endpoint, limit: maxQueued) }
            let total = try await sql.count("SELECT COUNT(*) AS n FROM tasks")
            if total >= maxTasks {
                try await sql.raw(
                    """
                    DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE result_at IS NOT NULL ORDER BY result_at LIMIT \(bind: total - maxTasks + 1))
                    """
                ).run()
                guard try await sql.count("SELECT COUNT(*) AS n FROM tasks") < maxTasks else { throw Refusal.tooManyTasks(limit: maxTasks) }
            }
            try await sql.raw(
                """
                INSERT INTO tasks (id, endpoint, task, session, queued_at) VALUES
                (\(bind: task.id), \(bind: endpoint), \(bind: json), \(bind: session), \(bind: now))
                """
            ).run()
        }
    }

    /// Hands out `endpoint`'s waiting tasks (oldest first; those handed long ago without a
    /// result again), marking them handed in the same transaction.
    public func take(for endpoint: String, now: Int64 = Clock.milliseconds()) async throws -> [PlatformTask] {
        let stale = now - Self.redeliverAfterMilliseconds
        return try await database.write { sql in
            // PostgreSQL: rows another instance's poll is taking are skipped, not waited for
            // (SQLite has one writer at a time anyway).
            let skipTaken: SQLQueryString = sql.dialect.name == "postgresql" ? " FOR UPDATE SKIP LOCKED" : ""
            let records = try await sql.raw(
                """
                SELECT * FROM tasks WHERE endpoint = \(bind: endpoint) AND result_at IS NULL
                AND (handed_at IS NULL OR handed_at < \(bind: stale)) ORDER BY queued_at, id LIMIT \(bind: Self.maxPerPoll)\(skipTaken)
                """
            ).all(decoding: TaskRecord.self, with: .platform)
            for record in records {
                try await sql.raw("UPDATE tasks SET handed_at = \(bind: now) WHERE id = \(bind: record.id)").run()
            }
            return records.compactMap { try? JSONDecoder().decode(PlatformTask.self, from: Data($0.task.utf8)) }
        }
    }

    /// Records `result` for task `id` from `endpoint`: only the endpoint it was handed to
    /// may answer. The first result counts; a repeat is accepted and changes nothing.
    /// Returns the record and whether it changed.
    @discardableResult
    public func record(
        _ result: TaskResult,
        for id: String,
        from endpoint: String,
        now: Int64 = Clock.milliseconds()
    ) async throws -> (TaskRecord, Bool) {
        let body = try result.body.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        return try await database.write { sql in
            guard var record = try await sql.raw("SELECT * FROM tasks WHERE id = \(bind: id)").first(decoding: TaskRecord.self, with: .platform)
            else {
                throw Refusal.unknownTask(id)
            }
            guard record.endpoint == endpoint else { throw Refusal.notYours(task: id) }
            guard record.handedAt != nil else { throw Refusal.notHandedOut(id) }
            guard record.resultAt == nil else { return (record, false) }
            record.resultStatus = Int64(result.status)
            record.resultBody = body.map { $0.utf8.count <= Self.maxResultBytes ? $0 : #""(result body over 16 MiB, not kept)""# }
            record.resultAt = now
            try await sql.raw(
                """
                UPDATE tasks SET result_status = \(bind: record.resultStatus), result_body = \(bind: record.resultBody),
                result_at = \(bind: now) WHERE id = \(bind: id)
                """
            ).run()
            return (record, true)
        }
    }

    public func task(_ id: String) async throws -> TaskRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM tasks WHERE id = \(bind: id)").first(decoding: TaskRecord.self, with: .platform)
        }
    }

    /// Tasks answered before `cutoff` are forgotten (retention).
    public func removeAnswered(before cutoff: Int64) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM tasks WHERE result_at IS NOT NULL AND result_at < \(bind: cutoff)").run()
        }
    }
}
