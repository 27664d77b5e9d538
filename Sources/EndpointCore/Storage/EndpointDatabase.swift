import Foundation
import GRDB

/// The endpoint's SQLite file. Opening it applies every pending migration.
public struct EndpointDatabase: Sendable {
    let writer: any DatabaseWriter
    let templateList: TemplateListSnapshot

    /// Opens (creating if needed) the database at `path` in WAL mode with up to
    /// `poolSize` concurrent readers.
    public init(path: String, poolSize: Int) throws {
        var configuration = Configuration()
        configuration.maximumReaderCount = poolSize
        configuration.busyMode = .timeout(5)
        // WAL + NORMAL: a commit survives the endpoint's crash (what delivery resumes
        // from); only a power loss can take the last commits back, which costs duplicate
        // chunks, never lost ones.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        // A new database is created private (0600) before SQLite opens it, and SQLite
        // gives its -wal and -shm files the same mode: the run paths it holds are read
        // and removed by the endpoint, its templates run as root (SettingsFileAccess).
        let created = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if created >= 0 { close(created) }
        self.writer = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(writer)
        self.templateList = TemplateListSnapshot(try writer.read(Self.fetchTemplates))
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: templates") { db in
            // AUTOINCREMENT: a removed template's number is never handed out again, so a
            // platform holding an old number cannot start a different template by mistake.
            try db.create(table: "template") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("process", .text).notNull()
                table.column("functions", .jsonText).notNull()
                table.column("environment", .jsonText).notNull()
                table.column("value", .jsonText).notNull()
                table.column("options", .jsonText).notNull()
                table.column("traceType", .jsonText).notNull()
                table.column("createdAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v2: runs") { db in
            try db.create(table: "run") { table in
                table.primaryKey("filePath", .text)
                table.column("thread", .integer).notNull()
                table.column("template", .jsonText).notNull()
                table.column("tracer", .text).notNull()
                table.column("lastingSeconds", .integer).notNull()
                table.column("startedAt", .datetime).notNull()
                table.column("deadline", .datetime).notNull()
                table.column("privilege", .text).notNull()
                table.column("bytesWritten", .integer)
                table.column("exitCode", .integer)
                table.column("stderr", .text)
                table.column("failure", .text)
                table.column("startAcknowledged", .boolean).notNull()
                table.column("chunksAcknowledged", .integer).notNull()
                table.column("bytesAcknowledged", .integer).notNull()
                table.column("finishedAcknowledged", .boolean).notNull()
                table.column("retries", .integer).notNull()
                table.column("refusedMessages", .integer).notNull()
                table.column("lastError", .text)
                table.column("finishedAt", .datetime)
            }
            try db.create(index: "run_by_delivery", on: "run", columns: ["finishedAcknowledged", "finishedAt"])
        }
        migrator.registerMigration("v3: run chunk size, tracer identity, last status") { db in
            try db.alter(table: "run") { table in
                // The chunk size a run started with: chunks resent after a restart keep
                // their bytes for their `no` even when submit-chunk-size changed.
                table.add(column: "chunkSize", .integer)
                // pid and /proc start time of the tracer (or of sudo), so that the next
                // life of the endpoint can stop it, and never another process of that pid.
                table.add(column: "tracerPID", .integer)
                table.add(column: "tracerStartTime", .integer)
                table.add(column: "lastStatus", .integer)
                // The length of a short chunk about to be sent (see DeliveryCursor).
                table.add(column: "shortChunkLength", .integer)
            }
        }
        return migrator
    }

    // MARK: - Runs

    public func recordRunStarted(_ run: RunRecord) async throws {
        try await writer.write { db in try run.insert(db) }
    }

    /// Forgets a run that never launched (shutdown began while it was being recorded).
    public func forgetRun(filePath: String) async throws {
        try await writer.write { db in _ = try RunRecord.deleteOne(db, key: filePath) }
    }

    /// The tracer's process, once spawned: what the next start stops if it outlived us.
    public func recordTracerLaunched(filePath: String, pid: Int32, startTime: Int64?) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE run SET tracerPID = ?, tracerStartTime = ? WHERE filePath = ?", arguments: [pid, startTime, filePath])
        }
    }

    /// Persists a run's delivery position; called at every acknowledgement.
    public func recordDeliveryProgress(
        filePath: String, startAcknowledged: Bool, chunksAcknowledged: Int, bytesAcknowledged: Int64,
        retries: Int, refusedMessages: Int, lastError: String?, lastStatus: Int? = nil, shortChunkLength: Int? = nil
    ) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE run SET startAcknowledged = ?, chunksAcknowledged = ?, bytesAcknowledged = ?,
                    retries = ?, refusedMessages = ?, lastError = ?, lastStatus = ?, shortChunkLength = ? WHERE filePath = ?
                    """,
                arguments: [startAcknowledged, chunksAcknowledged, bytesAcknowledged, retries, refusedMessages, lastError, lastStatus, shortChunkLength, filePath])
        }
    }

    public func recordTracerExit(filePath: String, code: Int32, stderr: String, bytesWritten: Int64, failure: String?) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE run SET exitCode = ?, stderr = ?, bytesWritten = ?, failure = ? WHERE filePath = ?",
                arguments: [code, stderr, bytesWritten, failure, filePath])
        }
    }

    /// Marks `finished` acknowledged and keeps only the newest `keepFinished` finished runs.
    public func recordRunDelivered(filePath: String, keepFinished: Int) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE run SET finishedAcknowledged = 1, finishedAt = ? WHERE filePath = ?", arguments: [Date(), filePath])
            try db.execute(
                sql: """
                    DELETE FROM run WHERE finishedAcknowledged = 1 AND filePath NOT IN
                    (SELECT filePath FROM run WHERE finishedAcknowledged = 1 ORDER BY finishedAt DESC LIMIT ?)
                    """,
                arguments: [keepFinished])
        }
    }

    /// Runs whose `finished` the platform has not acknowledged, oldest first.
    public func undeliveredRuns() async throws -> [RunRecord] {
        try await writer.read { db in
            try RunRecord.filter(Column("finishedAcknowledged") == false).order(Column("startedAt"), Column("thread")).fetchAll(db)
        }
    }

    /// The newest finished runs, oldest first.
    public func finishedRuns(limit: Int) async throws -> [RunRecord] {
        try await writer.read { db in
            try RunRecord.filter(Column("finishedAcknowledged") == true).order(Column("finishedAt").desc).limit(limit).fetchAll(db).reversed()
        }
    }

    public func highestRunThread() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT MAX(thread) FROM run") ?? 0 }
    }

    // MARK: - Templates

    /// Stores a validated template under a new number; nil, storing nothing, when `limit`
    /// templates are already stored (counted in the same transaction).
    public func storeTemplate(_ template: TraceTemplate, limit: Int = .max) async throws -> StoredTemplate? {
        try await writer.write { db in
            guard try TemplateRecord.fetchCount(db) < limit else { return nil }
            var record = TemplateRecord(template)
            try record.insert(db)
            try refreshTemplateListOnCommit(db)
            return record.stored
        }
    }

    /// Every stored template, in number order, from memory (see `TemplateListSnapshot`).
    public func allTemplates() -> [StoredTemplate] {
        templateList.current
    }

    static func fetchTemplates(_ db: Database) throws -> [StoredTemplate] {
        try TemplateRecord.order(Column("id")).fetchAll(db).map(\.stored)
    }

    /// Called inside a write that changed templates: the snapshot takes the new list once
    /// the transaction commits (writes are serialised, so snapshots replace in order).
    private func refreshTemplateListOnCommit(_ db: Database) throws {
        let templates = try Self.fetchTemplates(db)
        let snapshot = templateList
        db.afterNextTransaction { _ in snapshot.replace(with: templates) }
    }

    public func template(number: Int64) async throws -> StoredTemplate? {
        try await writer.read { db in
            try TemplateRecord.fetchOne(db, key: number)?.stored
        }
    }

    public enum Removal: Equatable, Sendable {
        /// No template with that number allows that tracer.
        case notFound
        /// The tracer was dropped from the template; other tracers still use it.
        case tracerRemoved(remaining: StoredTemplate)
        /// That was the template's last tracer: the template is gone.
        case templateDeleted
    }

    /// Withdraws `tracer` from template `number`. Templates share one number space for
    /// both tracers, so removing the BPF side of a BPF+STAP template keeps the STAP side.
    public func removeTracer(_ tracer: TracerType, fromTemplate number: Int64) async throws -> Removal {
        try await writer.write { db in
            guard var record = try TemplateRecord.fetchOne(db, key: number),
                  record.traceType.contains(tracer.rawValue)
            else { return .notFound }
            record.traceType.removeAll { $0 == tracer.rawValue }
            if record.traceType.isEmpty {
                try record.delete(db)
                try refreshTemplateListOnCommit(db)
                return .templateDeleted
            }
            try record.update(db)
            try refreshTemplateListOnCommit(db)
            return .tracerRemoved(remaining: record.stored)
        }
    }
}
