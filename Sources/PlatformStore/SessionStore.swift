import Foundation
import SQLKit

/// Sessions over the fleet (docs/platform.md, *Sessions*): each one's spec, its newest
/// round's rows (one per endpoint), and the templates it stored. A session is running
/// while a row of its newest round is queued, starting, or running a run whose stream
/// has not finished: read from the rows and the runs table, never stored, so nothing has
/// to notice a run's end.
public struct SessionStore: Sendable {
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case tooManySessions(limit: Int)
        case duplicateID(String)

        public var description: String {
            switch self {
            case .tooManySessions(let limit): return "the platform holds \(limit) sessions (max-sessions); delete one first"
            case .duplicateID(let id): return "id: session \(id) exists already"
            }
        }
    }

    /// What `{"run": true}` did.
    public enum RoundStart: Sendable, Equatable {
        /// A run of the newest round goes on: nothing changed.
        case alreadyRunning
        /// Round `round` began with these rows.
        case began(round: Int64, rows: [SessionEndpointRecord])
    }

    public let database: any PlatformDatabase
    public let maxSessions: Int

    public init(database: any PlatformDatabase, maxSessions: Int = 1000) {
        self.database = database
        self.maxSessions = maxSessions
    }

    /// Stores a new session (round 0: not running); refused beyond `maxSessions`.
    public func create(_ session: SessionRecord) async throws {
        let limit = maxSessions
        try await database.write { sql in
            guard try await sql.count("SELECT COUNT(*) AS n FROM sessions") < limit else { throw Refusal.tooManySessions(limit: limit) }
            guard try await sql.raw("SELECT id FROM sessions WHERE id = \(bind: session.id)").first() == nil else {
                throw Refusal.duplicateID(session.id)
            }
            try await sql.raw(
                """
                INSERT INTO sessions (id, name, selector, spec, round, created, created_by) VALUES
                (\(bind: session.id), \(bind: session.name), \(bind: session.selector), \(bind: session.spec), \(bind: session.round),
                \(bind: session.created), \(bind: session.createdBy))
                """
            ).run()
        }
    }

    /// Every session, oldest first (at most `maxSessions` exist).
    public func sessions() async throws -> [SessionRecord] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM sessions ORDER BY created, id").all(decoding: SessionRecord.self, with: .platform)
        }
    }

    public func session(_ id: String) async throws -> SessionRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM sessions WHERE id = \(bind: id)").first(decoding: SessionRecord.self, with: .platform)
        }
    }

    /// The rows of `session`'s newest round, by endpoint uuid; nil: every session's.
    public func rows(of session: String? = nil) async throws -> [SessionEndpointRecord] {
        try await database.read { sql in
            var query = sql.select().column("*").from("session_endpoints")
            if let session { query = query.where("session", .equal, session) }
            return try await query.orderBy("session").orderBy("endpoint").all(decoding: SessionEndpointRecord.self, with: .platform)
        }
    }

    /// Whether a run of `session`'s newest round goes on (see the type's comment).
    public func isRunning(_ session: String) async throws -> Bool {
        try await database.read { sql in try await Self.isRunning(session, in: sql) }
    }

    static func isRunning(_ session: String, in sql: any SQLDatabase) async throws -> Bool {
        try await sql.count(
            """
            SELECT COUNT(*) AS n FROM session_endpoints LEFT JOIN runs ON runs.id = session_endpoints.run
            WHERE session_endpoints.session = \(bind: session) AND (session_endpoints.state IN ('queued', 'starting')
            OR (session_endpoints.state = 'running' AND runs.id IS NOT NULL AND runs.finished IS NULL))
            """
        ) > 0
    }

    /// `{"run": true}`: unless a run of the newest round goes on, begins the next round
    /// with the rows `rows(round)` makes (replacing the last round's), all in one
    /// transaction, so two at once begin one round. nil: no such session.
    public func beginRound(
        of session: String,
        rows: @escaping @Sendable (Int64) -> [SessionEndpointRecord]
    ) async throws -> RoundStart? {
        try await database.write { sql in
            guard
                let record = try await sql.raw("SELECT * FROM sessions WHERE id = \(bind: session)").first(
                    decoding: SessionRecord.self,
                    with: .platform
                )
            else { return nil }
            guard try await !Self.isRunning(session, in: sql) else { return .alreadyRunning }
            let round = record.round + 1
            try await sql.raw("UPDATE sessions SET round = \(bind: round) WHERE id = \(bind: session)").run()
            try await sql.raw("DELETE FROM session_endpoints WHERE session = \(bind: session)").run()
            let made = rows(round)
            for row in made { try await Self.insert(row, in: sql) }
            return .began(round: round, rows: made)
        }
    }

    /// Changes the row of `(session, endpoint)` if it still waits on `task`; returns the
    /// row as changed, nil when the answer is late (another request, round, or a stop
    /// came since) and nothing changed.
    public func update(
        session: String,
        endpoint: String,
        waitingOn task: String,
        now: Int64 = Clock.milliseconds(),
        _ change: @escaping @Sendable (inout SessionEndpointRecord) -> Void
    ) async throws -> SessionEndpointRecord? {
        try await database.write { sql in
            guard
                var row = try await sql.raw(
                    "SELECT * FROM session_endpoints WHERE session = \(bind: session) AND endpoint = \(bind: endpoint) AND task = \(bind: task)"
                ).first(decoding: SessionEndpointRecord.self, with: .platform)
            else { return nil }
            change(&row)
            row.updated = now
            try await sql.raw(
                """
                UPDATE session_endpoints SET state = \(bind: row.state.rawValue), run = \(bind: row.run), status = \(bind: row.status),
                error = \(bind: row.error), task = \(bind: row.task), updated = \(bind: now)
                WHERE session = \(bind: session) AND endpoint = \(bind: endpoint)
                """
            ).run()
            return row
        }
    }

    /// `{"run": false}`: every row of the newest round not yet ended becomes `killed` and
    /// waits on nothing. Returns the rows that were running a run whose stream has not
    /// finished (their runs are to be killed); nil: no such session.
    public func stop(_ session: String, now: Int64 = Clock.milliseconds()) async throws -> [SessionEndpointRecord]? {
        try await database.write { sql in
            guard try await sql.raw("SELECT id FROM sessions WHERE id = \(bind: session)").first() != nil else { return nil }
            let rows = try await sql.raw(
                """
                SELECT session_endpoints.* FROM session_endpoints LEFT JOIN runs ON runs.id = session_endpoints.run
                WHERE session_endpoints.session = \(bind: session) AND (session_endpoints.state IN ('queued', 'starting')
                OR (session_endpoints.state = 'running' AND runs.id IS NOT NULL AND runs.finished IS NULL))
                """
            ).all(decoding: SessionEndpointRecord.self, with: .platform)
            for row in rows {
                try await sql.raw(
                    """
                    UPDATE session_endpoints SET state = 'killed', task = NULL, updated = \(bind: now)
                    WHERE session = \(bind: session) AND endpoint = \(bind: row.endpoint)
                    """
                ).run()
            }
            return rows.filter { $0.state == .running }
        }
    }

    /// Notes a template `session` stored on `endpoint` (removed when the session goes).
    public func recordTemplate(session: String, endpoint: String, traceNo: Int64, traceTypes: [String]) async throws {
        let types = String(decoding: try JSONEncoder().encode(traceTypes), as: UTF8.self)
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO session_templates (session, endpoint, trace_no, trace_types)
                VALUES (\(bind: session), \(bind: endpoint), \(bind: traceNo), \(bind: types)) ON CONFLICT DO NOTHING
                """
            ).run()
        }
    }

    public func templates(of session: String) async throws -> [SessionTemplateRecord] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM session_templates WHERE session = \(bind: session) ORDER BY endpoint, trace_no")
                .all(decoding: SessionTemplateRecord.self, with: .platform)
        }
    }

    /// Forgets `session`, its rows and its record of templates (its runs stay until
    /// retention removes them); returns the templates it had stored, nil when unknown.
    public func delete(_ session: String) async throws -> [SessionTemplateRecord]? {
        try await database.write { sql in
            guard try await sql.raw("SELECT id FROM sessions WHERE id = \(bind: session)").first() != nil else { return nil }
            let templates = try await sql.raw("SELECT * FROM session_templates WHERE session = \(bind: session) ORDER BY endpoint, trace_no")
                .all(decoding: SessionTemplateRecord.self, with: .platform)
            try await sql.raw("DELETE FROM session_templates WHERE session = \(bind: session)").run()
            try await sql.raw("DELETE FROM session_endpoints WHERE session = \(bind: session)").run()
            try await sql.raw("DELETE FROM sessions WHERE id = \(bind: session)").run()
            return templates
        }
    }

    static func insert(_ row: SessionEndpointRecord, in sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO session_endpoints (session, endpoint, round, state, run, status, error, task, updated) VALUES
            (\(bind: row.session), \(bind: row.endpoint), \(bind: row.round), \(bind: row.state.rawValue), \(bind: row.run),
            \(bind: row.status), \(bind: row.error), \(bind: row.task), \(bind: row.updated))
            """
        ).run()
    }

}
