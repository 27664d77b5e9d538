import SQLKit

/// How many sessions and events the database holds, for `/metrics` (two COUNT(*), each
/// a walk of the table's smallest index: a few ms at a million rows, once per scrape).
public struct StoredCounts: Sendable, Equatable {
    public var sessions: Int64
    public var events: Int64

    public static func read(_ database: any PlatformDatabase) async throws -> StoredCounts {
        try await database.read { sql in
            let sessions = Int64(try await sql.count("SELECT COUNT(*) AS n FROM sessions"))
            let events = Int64(try await sql.count("SELECT COUNT(*) AS n FROM events"))
            return StoredCounts(sessions: sessions, events: events)
        }
    }
}
