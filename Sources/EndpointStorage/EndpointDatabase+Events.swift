import Foundation
import GRDB
import PlatformWire

/// The event outbox, persisted: events are rows from the moment they happen until the
/// platform answered 2xx to the `POST /events` that carried them (docs/fleet.md,
/// "Events"). Bounded by `EventAdmission.maxPending`: beyond it the oldest events give
/// way, and how many did is itself an `events-dropped` event (one pending row, added to
/// while it is not in flight).
extension EndpointDatabase {
    /// Records `event`; the number of older events dropped to make room (0 mostly).
    @discardableResult
    public func recordEvent(_ event: EndpointEvent, admission: EventAdmission) async throws -> Int {
        try await writer.write { db in try Self.insertEvent(event, admission: admission, db) }
    }

    /// Inside a write: makes room under the bound, then inserts `event`.
    static func insertEvent(_ event: EndpointEvent, admission: EventAdmission, _ db: Database) throws -> Int {
        let dropped = try makeRoomForEvent(admission, db)
        var record = PendingEventRecord(event)
        try record.insert(db)
        return dropped
    }

    /// Drops the oldest events (never an `events-dropped` one: they carry the counts)
    /// until one more fits, and counts them in the one `events-dropped` row not in
    /// flight, or in a new one. Rows of that kind not in flight are merged into the
    /// newest first, so there are never more than those of the batch in flight and one.
    private static func makeRoomForEvent(_ admission: EventAdmission, _ db: Database) throws -> Int {
        var count = try PendingEventRecord.fetchCount(db)
        guard count + 1 > admission.maxPending else { return 0 }
        let droppedKind = EndpointEvent.Kind.eventsDropped.rawValue
        let inFlight = admission.inFlightThrough() ?? 0
        let tallies = try PendingEventRecord.filter(PendingEventRecord.Columns.kind == droppedKind && PendingEventRecord.Columns.seq > inFlight)
            .order(PendingEventRecord.Columns.seq).fetchAll(db)
        var tally = tallies.last
        var total = tallies.reduce(0) { $0 + Self.droppedCount($1) }
        let merged = tallies.dropLast().compactMap(\.seq)
        if !merged.isEmpty {
            try PendingEventRecord.filter(keys: merged).deleteAll(db)
            count -= merged.count
        }
        // Room for the new event, and for a new tally row when there is none.
        let overflow = count + 1 - admission.maxPending + (tally == nil ? 1 : 0)
        let victims =
            overflow > 0
            ? try Int64.fetchAll(db, sql: "SELECT seq FROM event WHERE kind != ? ORDER BY seq LIMIT ?", arguments: [droppedKind, overflow]) : []
        try PendingEventRecord.filter(keys: victims).deleteAll(db)
        total += Int64(victims.count)
        if var existing = tally {
            existing.detail["dropped"] = .integer(total)
            try existing.update(db)
        } else if total > 0 {
            tally = PendingEventRecord(EndpointEvent(kind: .eventsDropped, detail: ["dropped": .integer(total)]))
            try tally?.insert(db)
        }
        return victims.count
    }

    private static func droppedCount(_ record: PendingEventRecord) -> Int64 {
        if case .integer(let count) = record.detail["dropped"] { count } else { 0 }
    }

    /// The oldest pending events, at most `limit`. Read inside a write, serialised with
    /// `recordEvent`: an `events-dropped` row added to after this read is never one of
    /// those read (`EventAdmission.inFlightThrough` is set before it).
    public func pendingEvents(limit: Int) async throws -> [PendingEvent] {
        try await writer.write { db in
            try PendingEventRecord.order(PendingEventRecord.Columns.seq).limit(limit).fetchAll(db)
                .compactMap { record in record.seq.map { PendingEvent(seq: $0, event: record.event) } }
        }
    }

    /// Removes events the platform acknowledged (or refused for good).
    public func removeEvents(seqs: [Int64]) async throws {
        try await writer.write { db in _ = try PendingEventRecord.filter(keys: seqs).deleteAll(db) }
    }

    public func pendingEventCount() async throws -> Int {
        try await writer.read { db in try PendingEventRecord.fetchCount(db) }
    }
}
