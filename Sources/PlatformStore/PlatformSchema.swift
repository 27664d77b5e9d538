import Foundation
import SQLKit

/// The platform's tables, created by numbered migrations through SQLKit's builders (each
/// engine's own types: `.blob` is BLOB in SQLite and BYTEA in PostgreSQL, `.bigint`
/// INTEGER and BIGINT). `platform_schema` holds the version reached; a migration and the
/// record of it commit together, so a crash halfway leaves the version before it.
///
/// Times are milliseconds since the epoch (`.bigint`); JSON values are `.text`; names
/// are snake_case, which PostgreSQL keeps as written.
public enum PlatformSchema {
    public struct Migration: Sendable {
        public let version: Int
        public let summary: String
        let apply: @Sendable (any SQLDatabase) async throws -> Void
    }

    /// In order; a migration once released is never edited, only followed by another.
    public static let migrations: [Migration] = [
        Migration(version: 1, summary: "endpoints, tasks, runs, chunks, events, accounts, tokens, login failures, sessions", apply: version1),
        Migration(version: 2, summary: "signature nonces accepted, shared by the instances on one database", apply: version2),
    ]

    public static var latestVersion: Int { migrations.last?.version ?? 0 }

    /// The version `database` is at (0: empty).
    public static func version(of database: any PlatformDatabase) async throws -> Int {
        try await database.write { sql in
            try await sql.create(table: "platform_schema").ifNotExists()
                .column("version", type: .bigint, .primaryKey(autoIncrement: false))
                .column("applied_at", type: .bigint, .notNull)
                .run()
            return try await sql.raw("SELECT MAX(version) AS version FROM platform_schema").first(decodingColumn: "version", as: Int?.self).flatMap {
                $0
            } ?? 0
        }
    }

    /// Applies every migration above the database's version, each in its own transaction.
    public static func migrate(_ database: any PlatformDatabase) async throws {
        let current = try await version(of: database)
        guard current <= latestVersion else { throw PlatformStoreError.schemaTooNew(found: current, known: latestVersion) }
        for migration in migrations where migration.version > current {
            try await database.write { sql in
                try await migration.apply(sql)
                try await sql.raw(
                    "INSERT INTO platform_schema (version, applied_at) VALUES (\(bind: migration.version), \(bind: Clock.milliseconds()))"
                ).run()
            }
        }
    }

    static func version1(_ sql: any SQLDatabase) async throws {
        // Who the endpoints are: declared in platform.yml or registered; `labels` and
        // `analyses` JSON.
        try await sql.create(table: "endpoints")
            .column("uuid", type: .text, .primaryKey(autoIncrement: false))
            .column("hostname", type: .text)
            .column("labels", type: .text, .notNull)
            .column("control", type: .text)
            .column("version", type: .text)
            .column("analyses", type: .text)
            .column("url", type: .text)
            .column("registered_at", type: .bigint)
            .column("last_seen", type: .bigint)
            .run()
        // Tasks for pull endpoints: queued, handed out once (`handed_at`), answered.
        try await sql.create(table: "tasks")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("endpoint", type: .text, .notNull)
            .column("task", type: .text, .notNull)
            .column("session", type: .text)
            .column("queued_at", type: .bigint, .notNull)
            .column("handed_at", type: .bigint)
            .column("result_status", type: .bigint)
            .column("result_body", type: .text)
            .column("result_at", type: .bigint)
            .run()
        try await sql.create(index: "tasks_by_endpoint").on("tasks").column("endpoint").column("handed_at").run()
        // Every stream received is a run. `chunks`/`bytes`: the contiguous prefix (the next
        // `no` expected and its bytes); `stored_bytes`: every chunk kept, ahead of a gap too.
        try await sql.create(table: "runs")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("endpoint", type: .text, .notNull)
            .column("file_path", type: .text, .notNull)
            .column("session", type: .text)
            .column("analysis", type: .text)
            .column("started", type: .bigint, .notNull)
            .column("finished", type: .bigint)
            .column("code", type: .bigint)
            .column("stderr", type: .text)
            .column("chunks", type: .bigint, .notNull)
            .column("bytes", type: .bigint, .notNull)
            .column("stored_bytes", type: .bigint, .notNull)
            .column("highest_no", type: .bigint, .notNull)
            .column("gaps", type: .text, .notNull)
            // The unfinished last line of the contiguous prefix, up to 257 bytes, for the
            // `resumed` tuples' scan (`ResumeGapScanner`).
            .column("scan_tail", type: .blob, .notNull)
            .unique("endpoint", "file_path")
            .run()
        try await sql.create(index: "runs_by_start").on("runs").column("started").run()
        // Retention removes finished runs oldest finish first.
        try await sql.create(index: "runs_by_finish").on("runs").column("finished").run()
        try await sql.create(table: "chunks")
            .column("run", type: .text, .notNull)
            .column("no", type: .bigint, .notNull)
            .column("data", type: .blob, .notNull)
            .primaryKey("run", "no")
            .run()
        // Events once per (endpoint, id). `time` as the endpoint wrote it; `at` the same
        // instant in milliseconds (the order and `since` of GET /api/events).
        try await sql.create(table: "events")
            .column("endpoint", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("time", type: .text, .notNull)
            .column("at", type: .bigint, .notNull)
            .column("kind", type: .text, .notNull)
            .column("run", type: .text)
            .column("detail", type: .text, .notNull)
            .column("received_at", type: .bigint, .notNull)
            .primaryKey("endpoint", "id")
            .run()
        try await sql.create(index: "events_by_arrival").on("events").column("received_at").run()
        try await sql.create(index: "events_by_time").on("events").column("at").run()
        try await sql.create(table: "accounts")
            .column("name", type: .text, .primaryKey(autoIncrement: false))
            .column("role", type: .text, .notNull)
            .column("password_hash", type: .text, .notNull)
            .column("created", type: .bigint, .notNull)
            .run()
        // Only the SHA-256 of a token is kept.
        try await sql.create(table: "tokens")
            .column("hash", type: .text, .primaryKey(autoIncrement: false))
            .column("account", type: .text, .notNull)
            .column("created", type: .bigint, .notNull)
            .column("expires", type: .bigint, .notNull)
            .run()
        // Login attempts counted as failed (`attempt`: the id that takes a right one back).
        try await sql.create(table: "login_failures")
            .column("name", type: .text, .notNull)
            .column("address", type: .text, .notNull)
            .column("at", type: .bigint, .notNull)
            .column("attempt", type: .text, .notNull)
            .run()
        try await sql.create(index: "login_failures_by_time").on("login_failures").column("at").run()
        try await sql.create(index: "login_failures_by_name").on("login_failures").column("name").column("address").run()
        // Sessions over the fleet; `spec` is the JSON of what each endpoint is asked to run
        // (docs/platform.md, *Sessions*). Whether one is running is not stored: it is read
        // from its newest round's rows and their runs, so it never needs updating.
        try await sql.create(table: "sessions")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("name", type: .text, .notNull)
            .column("selector", type: .text, .notNull)
            .column("spec", type: .text, .notNull)
            .column("round", type: .bigint, .notNull)
            .column("created", type: .bigint, .notNull)
            .column("created_by", type: .text, .notNull)
            .run()
        // One row per session and endpoint of its newest round; `task`: the id of the
        // request the row waits on (an answer for another id is late and changes nothing).
        try await sql.create(table: "session_endpoints")
            .column("session", type: .text, .notNull)
            .column("endpoint", type: .text, .notNull)
            .column("round", type: .bigint, .notNull)
            .column("state", type: .text, .notNull)
            .column("run", type: .text)
            .column("status", type: .bigint)
            .column("error", type: .text)
            .column("task", type: .text)
            .column("updated", type: .bigint, .notNull)
            .primaryKey("session", "endpoint")
            .run()
        // The templates a session stored on an endpoint (not those it found there and
        // reused), removed when the session is deleted; `trace_types` a JSON array.
        try await sql.create(table: "session_templates")
            .column("session", type: .text, .notNull)
            .column("endpoint", type: .text, .notNull)
            .column("trace_no", type: .bigint, .notNull)
            .column("trace_types", type: .text, .notNull)
            .primaryKey("session", "endpoint", "trace_no")
            .run()
    }

    static func version2(_ sql: any SQLDatabase) async throws {
        // The `Lambda-Signature` nonces accepted within the signature window, when several
        // instances share the database (`SignatureNonceStore`): a replay sent to another
        // instance finds its nonce here. `at`: when accepted, for the sweep.
        try await sql.create(table: "signature_nonces")
            .column("endpoint", type: .text, .notNull)
            .column("nonce", type: .text, .notNull)
            .column("at", type: .bigint, .notNull)
            .primaryKey("endpoint", "nonce")
            .run()
        try await sql.create(index: "signature_nonces_by_time").on("signature_nonces").column("at").run()
    }
}

/// Wall-clock milliseconds, the unit of every time column.
public enum Clock {
    public static func milliseconds(_ date: Date = Date()) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
}
