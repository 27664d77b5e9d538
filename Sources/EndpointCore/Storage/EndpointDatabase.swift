import Foundation
import GRDB

/// The endpoint's SQLite file. Opening it applies every pending migration.
public struct EndpointDatabase: Sendable {
    let writer: any DatabaseWriter

    /// Opens (creating if needed) the database at `path` in WAL mode with up to
    /// `poolSize` concurrent readers.
    public init(path: String, poolSize: Int) throws {
        var configuration = Configuration()
        configuration.maximumReaderCount = poolSize
        configuration.busyMode = .timeout(5)
        self.writer = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(writer)
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
        return migrator
    }

    // MARK: - Templates

    /// Stores a validated template under a new number.
    public func storeTemplate(_ template: TraceTemplate) async throws -> StoredTemplate {
        try await writer.write { db in
            var record = TemplateRecord(template)
            try record.insert(db)
            return record.stored
        }
    }

    public func allTemplates() async throws -> [StoredTemplate] {
        try await writer.read { db in
            try TemplateRecord.order(Column("id")).fetchAll(db).map(\.stored)
        }
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
                return .templateDeleted
            }
            try record.update(db)
            return .tracerRemoved(remaining: record.stored)
        }
    }
}
