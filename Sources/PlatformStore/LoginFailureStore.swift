import Foundation
import SQLKit

/// Failed logins per (name, client address), kept in the database so that every platform
/// instance on it throttles alike (docs/platform.md, *Accounts and tokens*).
///
/// An attempt is counted as failed *before* its password is checked (`admit`) and the
/// row is taken back when the password was right (`succeeded`): so many attempts at once
/// cannot all pass the check while the first are still hashing. A key never holds more
/// than `limit` rows within the window, rows older than the window go at every write, so
/// the table holds at most `limit` rows per (name, address) seen in the last window.
public struct LoginFailureStore: Sendable {
    public let database: any PlatformDatabase
    /// How far back failures count, in milliseconds.
    public let window: Int64
    /// Failures within the window after which every attempt is refused.
    public let limit: Int

    public init(database: any PlatformDatabase, window: Int64 = 60_000, limit: Int = 5) {
        self.database = database
        self.window = window
        self.limit = limit
    }

    /// An attempt admitted: its row, to take back with `succeeded` when the password was right.
    public struct Attempt: Sendable, Equatable {
        public let name: String
        public let address: String
        public let id: String
    }

    /// Counts an attempt of `name` from `address` as failed and returns it, or nil when
    /// `limit` failures already fell within the window (the caller answers 429).
    public func admit(name: String, address: String, now: Int64) async throws -> Attempt? {
        let since = now - window
        let limit = limit
        let attempt = Attempt(name: name, address: address, id: UUID().uuidString)
        return try await database.write { sql in
            try await sql.raw("DELETE FROM login_failures WHERE at <= \(bind: since)").run()
            let recent = try await sql.count("SELECT COUNT(*) AS n FROM login_failures WHERE name = \(bind: name) AND address = \(bind: address)")
            guard recent < limit else { return nil }
            try await sql.raw(
                "INSERT INTO login_failures (name, address, at, attempt) VALUES (\(bind: name), \(bind: address), \(bind: now), \(bind: attempt.id))"
            ).run()
            return attempt
        }
    }

    /// The password was right: the attempt was no failure.
    public func succeeded(_ attempt: Attempt) async throws {
        try await database.write { sql in
            try await sql.raw(
                "DELETE FROM login_failures WHERE name = \(bind: attempt.name) AND address = \(bind: attempt.address) AND attempt = \(bind: attempt.id)"
            ).run()
        }
    }

    /// Rows held in all (the bound's test).
    public func count() async throws -> Int {
        try await database.read { sql in
            try await sql.count("SELECT COUNT(*) AS n FROM login_failures")
        }
    }
}
