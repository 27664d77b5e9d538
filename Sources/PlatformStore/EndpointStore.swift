import Foundation
import SQLKit

/// The endpoints the platform knows: declared in platform.yml (with a url for push ones)
/// or registered by themselves; when each was last heard from.
public struct EndpointStore: Sendable {
    public struct TooManyEndpoints: Error, CustomStringConvertible {
        public let limit: Int
        public var description: String { "the platform knows \(limit) endpoints (max-endpoints); forget some (DELETE /api/endpoints/{uuid})" }
    }

    public let database: any PlatformDatabase
    /// Endpoint rows kept at most (`max-endpoints`): with a `fleet-secret` any uuid holding
    /// it may register, so their number is bounded here. Declared ones always have a row.
    public let maxEndpoints: Int

    public init(database: any PlatformDatabase, maxEndpoints: Int = 100_000) {
        self.database = database
        self.maxEndpoints = maxEndpoints
    }

    /// Whether a row for one more endpoint fits.
    static func roomForAnother(_ maxEndpoints: Int, in sql: any SQLDatabase) async throws -> Bool {
        try await sql.count("SELECT COUNT(*) AS n FROM endpoints") < maxEndpoints
    }

    /// Makes the row of a declared endpoint, keeping what registrations said; labels given
    /// in platform.yml win over registered ones.
    public func declare(uuid: String, url: String?, labels: [String: String]?) async throws {
        let labelsJSON = labels.map(Self.json) ?? "{}"
        try await database.write { sql in
            if try await sql.raw("SELECT uuid FROM endpoints WHERE uuid = \(bind: uuid)").first() == nil {
                try await sql.raw("INSERT INTO endpoints (uuid, labels, url) VALUES (\(bind: uuid), \(bind: labelsJSON), \(bind: url))").run()
            } else if labels != nil {
                try await sql.raw("UPDATE endpoints SET url = \(bind: url), labels = \(bind: labelsJSON) WHERE uuid = \(bind: uuid)").run()
            } else {
                try await sql.raw("UPDATE endpoints SET url = \(bind: url) WHERE uuid = \(bind: uuid)").run()
            }
        }
    }

    /// Records a registration (`PUT /endpoints/{uuid}`); `declaredLabels`: labels from
    /// platform.yml, which take precedence.
    public func register(
        uuid: String,
        hostname: String,
        labels: [String: String],
        control: String,
        version: String,
        analyses: [String],
        declaredLabels: Bool,
        now: Int64 = Clock.milliseconds()
    ) async throws {
        let labelsJSON = Self.json(labels)
        let analysesJSON = Self.json(analyses)
        let maxEndpoints = maxEndpoints
        try await database.write { sql in
            if try await sql.raw("SELECT uuid FROM endpoints WHERE uuid = \(bind: uuid)").first() == nil {
                guard try await Self.roomForAnother(maxEndpoints, in: sql) else { throw TooManyEndpoints(limit: maxEndpoints) }
                try await sql.raw(
                    """
                    INSERT INTO endpoints (uuid, hostname, labels, control, version, analyses, registered_at, last_seen)
                    VALUES (\(bind: uuid), \(bind: hostname), \(bind: labelsJSON), \(bind: control), \(bind: version), \(bind: analysesJSON), \(bind: now), \(bind: now))
                    """
                ).run()
            } else {
                try await sql.raw(
                    """
                    UPDATE endpoints SET hostname = \(bind: hostname), control = \(bind: control), version = \(bind: version),
                    analyses = \(bind: analysesJSON), registered_at = \(bind: now), last_seen = \(bind: now) WHERE uuid = \(bind: uuid)
                    """
                ).run()
                if !declaredLabels {
                    try await sql.raw("UPDATE endpoints SET labels = \(bind: labelsJSON) WHERE uuid = \(bind: uuid)").run()
                }
            }
        }
    }

    /// Notes a request from `uuid` (at most one write per endpoint per 10 s: a chunk
    /// stream must not cost a second write per chunk).
    public func seen(_ uuid: String, now: Int64 = Clock.milliseconds()) async throws {
        let maxEndpoints = maxEndpoints
        try await database.write { sql in
            try await sql.raw(
                "UPDATE endpoints SET last_seen = \(bind: now) WHERE uuid = \(bind: uuid) AND (last_seen IS NULL OR last_seen < \(bind: now - 10_000))"
            ).run()
            // Beyond max-endpoints an unknown one is not listed (its messages are still taken).
            if try await sql.raw("SELECT uuid FROM endpoints WHERE uuid = \(bind: uuid)").first() == nil,
                try await Self.roomForAnother(maxEndpoints, in: sql)
            {
                try await sql.raw("INSERT INTO endpoints (uuid, labels, last_seen) VALUES (\(bind: uuid), '{}', \(bind: now))").run()
            }
        }
    }

    /// Sets what an `endpoint-started` event says (the newest start wins, e.g. after an
    /// upgrade; a field the event lacks keeps its value).
    public func describe(uuid: String, hostname: String?, version: String?) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE endpoints SET hostname = COALESCE(\(bind: hostname), hostname), version = COALESCE(\(bind: version), version)
                WHERE uuid = \(bind: uuid)
                """
            ).run()
        }
    }

    public func all() async throws -> [EndpointRecord] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM endpoints ORDER BY uuid").all(decoding: EndpointRecord.self, with: .platform)
        }
    }

    public func endpoint(_ uuid: String) async throws -> EndpointRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM endpoints WHERE uuid = \(bind: uuid)").first(decoding: EndpointRecord.self, with: .platform)
        }
    }

    /// Forgets a registration (`DELETE /api/endpoints/{uuid}`); false when unknown.
    public func forget(_ uuid: String) async throws -> Bool {
        try await database.write { sql in
            guard try await sql.raw("SELECT uuid FROM endpoints WHERE uuid = \(bind: uuid)").first() != nil else { return false }
            try await sql.raw("DELETE FROM endpoints WHERE uuid = \(bind: uuid)").run()
            try await sql.raw("DELETE FROM tasks WHERE endpoint = \(bind: uuid) AND result_at IS NULL").run()
            return true
        }
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
