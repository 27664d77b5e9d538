import Foundation
import GRDB
import PlatformWire
import TraceModel

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
        migrator.registerMigration("v3: run chunk size and tracer; the delivery cursor in a table of its own") { db in
            try db.alter(table: "run") { table in
                // The chunk size a run started with: chunks resent after a restart keep
                // their bytes for their `no` even when submit-chunk-size changed.
                table.add(column: "chunkSize", .integer)
                // pid and /proc start time of the tracer (or of sudo), so that the next
                // life of the endpoint can stop it, and never another process of that pid.
                table.add(column: "tracerPID", .integer)
                table.add(column: "tracerStartTime", .integer)
            }
            // One column per DeliveryCursor property (DeliveryRecord).
            try db.create(table: "delivery") { table in
                table.primaryKey("filePath", .text).references("run", onDelete: .cascade)
                table.column("startAcknowledged", .boolean).notNull()
                table.column("chunksAcknowledged", .integer).notNull()
                table.column("bytesAcknowledged", .integer).notNull()
                table.column("finishedAcknowledged", .boolean).notNull()
                table.column("retries", .integer).notNull()
                table.column("refusedMessages", .integer).notNull()
                table.column("lastDeliveryError", .text)
                table.column("lastStatusCode", .integer)
                table.column("shortChunkLength", .integer)
            }
            try db.execute(
                sql: """
                    INSERT INTO delivery (filePath, startAcknowledged, chunksAcknowledged, bytesAcknowledged, finishedAcknowledged, retries, refusedMessages, lastDeliveryError)
                    SELECT filePath, startAcknowledged, chunksAcknowledged, bytesAcknowledged, finishedAcknowledged, retries, refusedMessages, lastError FROM run
                    """
            )
            try db.drop(index: "run_by_delivery")
            try db.alter(table: "run") { table in
                for column in [
                    "startAcknowledged", "chunksAcknowledged", "bytesAcknowledged", "finishedAcknowledged", "retries", "refusedMessages", "lastError",
                ] {
                    table.drop(column: column)
                }
            }
            try db.create(index: "run_by_finish", on: "run", columns: ["finishedAt"])
        }
        migrator.registerMigration("v4: the run number's column named as in the code") { db in
            // `thread` is the API's name for it; inside, one name per concept (SQLite 3.25+).
            try db.alter(table: "run") { table in table.rename(column: "thread", to: "runNumber") }
        }
        migrator.registerMigration("v5: a template's pins and the binary it was stored with") { db in
            try db.alter(table: "template") { table in
                table.add(column: "buildId", .text)
                table.add(column: "sha256", .text)
                table.add(column: "binary", .text)
            }
        }
        migrator.registerMigration("v6: the analysis a run runs") { db in
            // JSON (`RunAnalysis`); NULL for a template's run.
            try db.alter(table: "run") { table in table.add(column: "analysis", .text) }
        }
        migrator.registerMigration("v7: pull-mode tasks taken, their results and acknowledgements") { db in
            try db.create(table: "task") { table in
                table.primaryKey("id", .text)
                table.column("takenAt", .datetime).notNull()
                table.column("result", .text)  // JSON (`TaskResult`); NULL until it ran
                table.column("acknowledged", .boolean).notNull().defaults(to: false)
            }
            try db.create(index: "task_by_time", on: "task", columns: ["takenAt"])
        }
        migrator.registerMigration("v8: the task record bounded by result bytes; results settled, dropped or evicted") { db in
            // `settled`: acknowledged, or given up after the platform refused it; only
            // settled rows may be evicted (TaskRecordBounds).
            try db.alter(table: "task") { table in table.rename(column: "acknowledged", to: "settled") }
            try db.alter(table: "task") { table in
                table.add(column: "resultBytes", .integer).notNull().defaults(to: 0)
                table.add(column: "notFoundAnswers", .integer).notNull().defaults(to: 0)
                table.add(column: "droppedReason", .text)
                table.add(column: "resultEvicted", .boolean).notNull().defaults(to: false)
            }
            try db.execute(sql: "UPDATE task SET resultBytes = length(CAST(result AS BLOB)) WHERE result IS NOT NULL")
            try db.create(index: "task_by_settlement", on: "task", columns: ["settled", "takenAt"])
        }
        migrator.registerMigration("v9: the boot a run's tracer was started in") { db in
            // A start time counts from boot: after a reboot the same (pid, start time) may
            // name an unrelated process. NULL for tracers recorded before v9 (LeftoverTracer).
            try db.alter(table: "run") { table in table.add(column: "tracerBootID", .text) }
        }
        migrator.registerMigration("v10: the event outbox") { db in
            // AUTOINCREMENT: `seq` only grows, so "oldest first" and "in flight up to
            // seq N" keep their meaning after rows are deleted (PendingEventRecord).
            try db.create(table: "event") { table in
                table.autoIncrementedPrimaryKey("seq")
                table.column("id", .text).notNull().unique()
                table.column("time", .text).notNull()
                table.column("kind", .text).notNull()
                table.column("run", .text)
                table.column("detail", .jsonText).notNull()
            }
        }
        migrator.registerMigration("v11: runs that outlive a restart") { db in
            try db.alter(table: "run") { table in
                // JSON (`RelaunchableStart`); NULL: not to be relaunched.
                table.add(column: "relaunch", .text)
                // JSON (the status's `target` and `resolved`); NULL: untargeted.
                table.add(column: "target", .text)
                table.add(column: "resumedCount", .integer).notNull().defaults(to: 0)
                // JSON (`[ResumeGap]`).
                table.add(column: "gaps", .text).notNull().defaults(to: "[]")
                table.add(column: "suspendedAt", .datetime)
                table.add(column: "suspendedCode", .integer)
                table.add(column: "earlierStderr", .text)
            }
        }
        return migrator
    }

    // MARK: - Runs

    public func recordRunStarted(_ run: RunRecord) async throws {
        try await writer.write { db in
            try run.insert(db)
            try DeliveryRecord(filePath: run.filePath, cursor: DeliveryCursor()).insert(db)
        }
    }

    /// Forgets a run that never launched (shutdown began while it was being recorded).
    public func forgetRun(filePath: String) async throws {
        try await writer.write { db in _ = try RunRecord.deleteOne(db, key: filePath) }
    }

    /// The tracer's process, once spawned, and the boot it runs in: what the next start
    /// stops if it outlived us.
    public func recordTracerLaunched(filePath: String, pid: Int32, startTime: Int64?, bootID: String?) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE run SET tracerPID = ?, tracerStartTime = ?, tracerBootID = ? WHERE filePath = ?",
                arguments: [pid, startTime, bootID, filePath]
            )
        }
    }

    /// A graceful stop ended the run's tracer so that the next start relaunches it:
    /// when, with what code, and the stderr of every tracer so far (`earlierStderr`).
    public func recordRunSuspended(filePath: String, at stoppedAt: Date, code: Int32, earlierStderr: String) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE run SET suspendedAt = ?, suspendedCode = ?, earlierStderr = ? WHERE filePath = ?",
                arguments: [stoppedAt, code, earlierStderr, filePath]
            )
        }
    }

    /// The run is being relaunched for the `resumedCount`th time (counted before the
    /// launch, so that a crash during every relaunch still ends at `max-run-resumes`);
    /// the previous tracer's identity and suspension are done with.
    public func recordRunRelaunched(filePath: String, resumedCount: Int, earlierStderr: String) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE run SET resumedCount = ?, earlierStderr = ?, suspendedAt = NULL, suspendedCode = NULL,
                    tracerPID = NULL, tracerStartTime = NULL, tracerBootID = NULL WHERE filePath = ?
                    """,
                arguments: [resumedCount, earlierStderr, filePath]
            )
        }
    }

    /// The gaps the run's relaunches left, as its stream states them. Synchronous: called
    /// by the tracer's reader thread (never Swift's shared pool) right before it writes the
    /// `resumed` line, so that a SIGKILL just after the line finds the gap recorded (an
    /// asynchronous write lagged behind it, and a status after the next restart missed it).
    public func recordRunGapsNow(filePath: String, gaps: [ResumeGap]) throws {
        try writer.write { db in
            var record = try RunRecord.fetchOne(db, key: filePath)
            record?.gaps = gaps
            try record?.update(db, columns: ["gaps"])
        }
    }

    /// Persists a run's delivery position (at every durable acknowledgement).
    public func recordDeliveryProgress(filePath: String, cursor: DeliveryCursor) async throws {
        try await writer.write { db in try DeliveryRecord(filePath: filePath, cursor: cursor).update(db) }
    }

    /// `event`: the run's `run-finished`, recorded in the same transaction, so that it is
    /// recorded once: a restart finds the exit recorded and the event with it, or neither
    /// (and the resumed run ends with code -1 and its own event). The events dropped to
    /// make room for it.
    @discardableResult
    public func recordTracerExit(
        filePath: String,
        code: Int32,
        stderr: String,
        bytesWritten: Int64,
        failure: String?,
        event: (EndpointEvent, EventAdmission)? = nil
    ) async throws -> Int {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE run SET exitCode = ?, stderr = ?, bytesWritten = ?, failure = ? WHERE filePath = ?",
                arguments: [code, stderr, bytesWritten, failure, filePath]
            )
            guard let (event, admission) = event else { return 0 }
            return try Self.insertEvent(event, admission: admission, db)
        }
    }

    /// Retires a run whose `finished` was acknowledged and keeps only the newest
    /// `keepFinished` retired runs.
    public func recordRunDelivered(filePath: String, keepFinished: Int) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE delivery SET finishedAcknowledged = 1 WHERE filePath = ?", arguments: [filePath])
            try db.execute(sql: "UPDATE run SET finishedAt = ? WHERE filePath = ?", arguments: [Date(), filePath])
            try db.execute(
                sql: """
                    DELETE FROM run WHERE finishedAt IS NOT NULL AND filePath NOT IN
                    (SELECT filePath FROM run WHERE finishedAt IS NOT NULL ORDER BY finishedAt DESC LIMIT ?)
                    """,
                arguments: [keepFinished]
            )
        }
    }

    /// Runs whose `finished` the platform has not acknowledged, oldest first.
    public func undeliveredRuns() async throws -> [StoredRun] {
        try await writer.read { db in
            try Self.withDelivery(
                RunRecord.filter(RunRecord.Columns.finishedAt == nil).order(RunRecord.Columns.startedAt, RunRecord.Columns.runNumber).fetchAll(db),
                db
            )
        }
    }

    /// The newest finished runs, oldest first.
    public func finishedRuns(limit: Int) async throws -> [StoredRun] {
        try await writer.read { db in
            try Self.withDelivery(
                RunRecord.filter(RunRecord.Columns.finishedAt != nil).order(RunRecord.Columns.finishedAt.desc).limit(limit).fetchAll(db).reversed(),
                db
            )
        }
    }

    /// Each run with its delivery cursor (a run whose row lacks one starts from zero).
    static func withDelivery(_ runs: [RunRecord], _ db: Database) throws -> [StoredRun] {
        let cursors = try DeliveryRecord.filter(keys: runs.map(\.filePath)).fetchAll(db)
        let byPath = Dictionary(cursors.map { ($0.filePath, $0.cursor) }) { first, _ in first }
        return runs.map { StoredRun(run: $0, delivery: byPath[$0.filePath] ?? DeliveryCursor()) }
    }

    public func highestRunNumber() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT MAX(runNumber) FROM run") ?? 0 }
    }

    // MARK: - Templates

    /// Stores a validated template under a new number; nil, storing nothing, when `limit`
    /// templates are already stored (counted in the same transaction).
    public func storeTemplate(_ template: TraceTemplate, binary: BinaryIdentity? = nil, limit: Int = .max) async throws -> StoredTemplate? {
        try await writer.write { db in
            guard try TemplateRecord.fetchCount(db) < limit else { return nil }
            var record = TemplateRecord(template, binary: binary)
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

    public func template(id templateId: Int64) async throws -> StoredTemplate? {
        try await writer.read { db in
            try TemplateRecord.fetchOne(db, key: templateId)?.stored
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
    public func removeTracer(_ tracer: TracerType, fromTemplate templateId: Int64) async throws -> Removal {
        try await writer.write { db in
            guard var record = try TemplateRecord.fetchOne(db, key: templateId),
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
