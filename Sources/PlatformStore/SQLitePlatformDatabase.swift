import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO

/// The platform's SQLite file: one connection, every access in turn (`SerialAccess`),
/// libsqlite3 called on sqlite-nio's own thread pool, never on Swift's shared one.
///
/// Durability: WAL with `synchronous = FULL`, so a transaction that returned is on disk
/// (fsync of the WAL at every commit) and survives a power loss, not only a crash of the
/// process. What it costs is in Bench/RESULTS.md (one fsync per `/submit` chunk).
public final class SQLitePlatformDatabase: PlatformDatabase {
    public let path: String
    private let connection: SQLiteConnection
    private let access = SerialAccess()
    private let logger: Logger

    /// Opens (creating) the file at `path` with mode 0600, and brings its schema up to date.
    public static func open(path: String, logger: Logger = Logger(label: "lambda-platform.sqlite")) async throws -> SQLitePlatformDatabase {
        try await open(path: path, migrating: true, logger: logger)
    }

    /// Opens the file as it is, its schema untouched (to inspect one, e.g. in tests).
    public static func openWithoutMigrating(path: String) async throws -> SQLitePlatformDatabase {
        try await open(path: path, migrating: false, logger: Logger(label: "lambda-platform.sqlite"))
    }

    static func open(path: String, migrating: Bool, logger: Logger) async throws -> SQLitePlatformDatabase {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw PlatformStoreError.cannotOpen("\(path): cannot create the file")
            }
        }
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(
                storage: .file(path: path),
                threadPool: NIOThreadPool.singleton,
                logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any()
            )
        } catch {
            throw PlatformStoreError.cannotOpen("\(path): \(error)")
        }
        let database = SQLitePlatformDatabase(path: path, connection: connection, logger: logger)
        do {
            let sql = connection.sql(queryLogLevel: nil)
            // busy_timeout: another process (`lambda-platform account add` while the
            // platform serves) waits up to 5 s for the lock instead of failing at once.
            for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 5000"] {
                try await sql.raw(SQLQueryString(pragma)).run()
            }
            if migrating { try await PlatformSchema.migrate(database) }
        } catch {
            try? await connection.close()
            throw error
        }
        return database
    }

    private init(path: String, connection: SQLiteConnection, logger: Logger) {
        self.path = path
        self.connection = connection
        self.logger = logger
    }

    public var summary: String { "sqlite:\(path)" }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let sql = connection.sql(queryLogLevel: nil)
        return try await access.withAccess { try await body(sql) }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let sql = connection.sql(queryLogLevel: nil)
        return try await access.withAccess {
            // IMMEDIATE: the write lock at BEGIN, so another process cannot make this
            // transaction fail halfway with SQLITE_BUSY.
            try await sql.transaction("BEGIN IMMEDIATE", body)
        }
    }

    public func storeSize() async -> Int64? {
        var total: Int64 = 0
        for suffix in ["", "-wal"] {
            if let size = (try? FileManager.default.attributesOfItem(atPath: path + suffix))?[.size] as? NSNumber {
                total += size.int64Value
            }
        }
        return total
    }

    public func close() async {
        try? await access.withAccess { try await self.connection.close() }
    }

    // One process holds the file (another `lambda-platform serve` on it is not supported;
    // the CLI's `account` commands only write through `busy_timeout`): nothing to share.
    public var isShared: Bool { false }

    public func exclusively<T: Sendable>(_ job: ExclusiveJob, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await body()
    }

    public func announce(_ announcement: PlatformAnnouncement) async {}

    public func listen(
        _ heard: @escaping @Sendable (PlatformAnnouncement) -> Void,
        reconnected: @escaping @Sendable () -> Void
    ) async {
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }
}
