import Foundation
import PlatformWire
import SQLKit

/// The events endpoints post (`POST /events`): each `(endpoint, id)` kept once however
/// often it is delivered, at most `maxEvents` rows (the oldest arrivals make room).
public struct EventStore: Sendable {
    /// What is wrong with a posted event, naming its field (`[3].kind: ...`); nothing of
    /// the post is stored.
    public struct Refusal: Error, Equatable, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// `detail` is kept up to this many bytes of JSON: an endpoint's details are a few
    /// hundred bytes; the bound keeps 500 events of a post within its 1 MiB body anyway.
    public static let maxDetailBytes = 16 << 10

    public let database: any PlatformDatabase
    public let maxEvents: Int

    public init(database: any PlatformDatabase, maxEvents: Int = 1_000_000) {
        self.database = database
        self.maxEvents = maxEvents
    }

    /// Checks every event, then stores those not stored before, in one transaction
    /// (committed when this returns). Returns the events new to the store.
    @discardableResult
    public func add(_ events: [EndpointEvent], from endpoint: String, now: Int64 = Clock.milliseconds()) async throws -> [EventRecord] {
        guard events.count <= EndpointEvent.maxPerPost else { throw Refusal(description: "at most \(EndpointEvent.maxPerPost) events in one post") }
        let records = try events.enumerated().map { try Self.record($0.element, index: $0.offset, endpoint: endpoint, now: now) }
        let maxEvents = maxEvents
        return try await database.write { sql in
            var added: [EventRecord] = []
            for record in records {
                let inserted = try await sql.raw(
                    """
                    INSERT INTO events (endpoint, id, time, at, kind, run, detail, received_at)
                    VALUES (\(bind: record.endpoint), \(bind: record.id), \(bind: record.time), \(bind: record.at), \(bind: record.kind),
                    \(bind: record.run), \(bind: record.detail), \(bind: record.receivedAt))
                    ON CONFLICT (endpoint, id) DO NOTHING RETURNING id
                    """
                ).all()
                if !inserted.isEmpty { added.append(record) }
            }
            guard !added.isEmpty else { return added }
            // COUNT(*) walks the smallest index: a few ms at a million rows, once per post.
            let total = try await sql.count("SELECT COUNT(*) AS n FROM events")
            if total > maxEvents {
                try await sql.raw(
                    """
                    DELETE FROM events WHERE (endpoint, id) IN
                    (SELECT endpoint, id FROM events ORDER BY received_at, at LIMIT \(bind: total - maxEvents))
                    """
                ).run()
            }
            return added
        }
    }

    static func record(_ event: EndpointEvent, index: Int, endpoint: String, now: Int64) throws -> EventRecord {
        func refuse(_ field: String, _ what: String) -> Refusal { Refusal(description: "[\(index)].\(field): \(what)") }
        guard EndpointEvent.isValidID(event.id) else { throw refuse("id", "1-128 of [A-Za-z0-9._:-]") }
        guard EndpointEvent.isValidKind(event.kind) else { throw refuse("kind", "1-64 of [a-z0-9-]") }
        guard let at = ISOTime.milliseconds(event.time) else { throw refuse("time", "expected an ISO 8601 date-time with a zone") }
        if let run = event.run {
            guard !run.isEmpty, run.utf8.count <= 4096, !run.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
                throw refuse("run", "1-4096 bytes, no control characters, or null")
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let detail = String(decoding: try encoder.encode(event.detail), as: UTF8.self)
        guard detail.utf8.count <= maxDetailBytes else { throw refuse("detail", "at most \(maxDetailBytes) bytes of JSON") }
        return EventRecord(
            endpoint: endpoint,
            id: event.id,
            time: event.time,
            at: at,
            kind: event.kind,
            run: event.run,
            detail: detail,
            receivedAt: now
        )
    }

    /// Newest first (by the endpoint's time), at most `limit`.
    public func events(endpoint: String? = nil, kind: String? = nil, since: Int64? = nil, limit: Int = 100) async throws -> [EventRecord] {
        try await database.read { sql in
            var query = sql.select().column("*").from("events")
            if let endpoint { query = query.where("endpoint", .equal, endpoint) }
            if let kind { query = query.where("kind", .equal, kind) }
            if let since { query = query.where("at", .greaterThanOrEqual, since) }
            return try await query.orderBy("at", .descending).orderBy("received_at", .descending).orderBy("id").limit(limit)
                .all(decoding: EventRecord.self, with: .platform)
        }
    }

    public func count() async throws -> Int {
        try await database.read { sql in
            try await sql.count("SELECT COUNT(*) AS n FROM events")
        }
    }
}
