import EndpointTestSupport
import Foundation
import PlatformStore
import SQLKit
import Testing

@Suite("The platform's schema: migrations on real SQLite files and PostgreSQL databases")
struct PlatformSchemaTests {
    @Test("An empty database is brought to the latest version; opening it again applies nothing twice")
    func fresh() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        #expect(try await PlatformSchema.version(of: temporary.database) == PlatformSchema.latestVersion)
        try await temporary.reopen()
        let applied = try await temporary.database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM platform_schema").first(decodingColumn: "n", as: Int.self)
        }
        #expect(applied == PlatformSchema.migrations.count)
        let tables = try await temporary.database.read { sql in
            try await sql.raw(Self.tableNames).all(decodingColumn: "name", as: String.self)
        }
        for table in [
            "accounts", "chunks", "endpoints", "events", "login_failures", "runs", "session_endpoints", "session_templates", "sessions",
            "signature_nonces", "tasks", "tokens",
        ] {
            #expect(tables.contains(table), "\(table) missing from \(tables)")
        }
    }

    @Test("A database a newer lambda-platform wrote is refused with one line, and left as it was")
    func newer() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let newer = PlatformSchema.latestVersion + 1
        try await temporary.database.write { sql in
            try await sql.raw("INSERT INTO platform_schema (version, applied_at) VALUES (\(bind: newer), 0)").run()
        }
        await temporary.database.close()
        let refusal =
            "database: its schema is version \(newer), this lambda-platform knows up to \(PlatformSchema.latestVersion) (a newer program wrote it)"
        switch temporary.engine {
        case .sqlite:
            await #expect {
                _ = try await SQLitePlatformDatabase.open(path: temporary.path)
            } throws: { error in
                "\(error)" == refusal
            }
            temporary.database = try await SQLitePlatformDatabase.openWithoutMigrating(path: temporary.path)
            #expect(try await PlatformSchema.version(of: temporary.database) == newer)
        case .postgres:
            let url = try #require(temporary.url)
            await #expect {
                _ = try await TemporaryDatabase.openPostgres(url)
            } throws: { error in
                "\(error)" == refusal
            }
            let name = try #require(URL(string: url)?.lastPathComponent)
            let cluster = try await PostgresCluster.shared()
            #expect(try await cluster.psql("SELECT MAX(version) FROM platform_schema", database: name) == "\(newer)")
        }
    }

    @Test("A write that throws halfway leaves nothing of itself (one transaction)")
    func rollback() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        struct Halfway: Error {}
        await #expect(throws: Halfway.self) {
            try await temporary.database.write { sql in
                try await sql.raw("INSERT INTO accounts (name, role, password_hash, created) VALUES ('a', 'viewer', 'h', 0)").run()
                throw Halfway()
            }
        }
        let count = try await temporary.database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM accounts").first(decodingColumn: "n", as: Int.self)
        }
        #expect(count == 0)
    }

    @Test("Durable commits: SQLite's file mode 0600, WAL, synchronous FULL; PostgreSQL's fsync, synchronous_commit, serializable writes")
    func fileAndDurability() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        switch temporary.engine {
        case .sqlite:
            let mode = try FileManager.default.attributesOfItem(atPath: temporary.path)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600)
            let (journal, synchronous) = try await temporary.database.read { sql in
                (
                    try await sql.raw("PRAGMA journal_mode").first(decodingColumn: "journal_mode", as: String.self),
                    try await sql.raw("PRAGMA synchronous").first(decodingColumn: "synchronous", as: Int.self)
                )
            }
            #expect(journal == "wal" && synchronous == 2)
        case .postgres:
            let (fsync, synchronousCommit) = try await temporary.database.read { sql in
                (
                    try await sql.raw("SHOW fsync").first(decodingColumn: "fsync", as: String.self),
                    try await sql.raw("SHOW synchronous_commit").first(decodingColumn: "synchronous_commit", as: String.self)
                )
            }
            #expect(fsync == "on" && synchronousCommit == "on")
            let isolation = try await temporary.database.write { sql in
                try await sql.raw("SHOW transaction_isolation").first(decodingColumn: "transaction_isolation", as: String.self)
            }
            #expect(isolation == "serializable")
        }
    }

    /// The names of the tables the engine's catalogue lists, as rows of `name`.
    static var tableNames: SQLQueryString {
        switch PlatformTestEngine.current {
        case .sqlite: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        case .postgres: "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name"
        }
    }
}
