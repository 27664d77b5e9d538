import GRDB
import PlatformWire

/// One row of the `event` table: an `EndpointEvent` recorded and not yet acknowledged by
/// the platform (the event outbox). `seq` orders them (oldest first, as they are sent and
/// as they give way under `max-pending-events`).
struct PendingEventRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "event"

    enum Columns {
        static let seq = Column(CodingKeys.seq)
        static let kind = Column(CodingKeys.kind)
    }

    var seq: Int64?
    var id: String
    var time: String
    var kind: String
    var run: String?
    /// JSON text of the event's `detail` object.
    var detail: [String: JSONValue]

    init(_ event: EndpointEvent) {
        self.seq = nil
        self.id = event.id
        self.time = event.time
        self.kind = event.kind
        self.run = event.run
        self.detail = event.detail
    }

    var event: EndpointEvent { EndpointEvent(id: id, time: time, kind: kind, run: run, detail: detail) }

    mutating func didInsert(_ inserted: InsertionSuccess) { seq = inserted.rowID }
}

/// An event waiting for the platform, with its place in the outbox.
public struct PendingEvent: Equatable, Sendable {
    public let seq: Int64
    public let event: EndpointEvent
}

/// How an event is added to the outbox (`EndpointDatabase.recordEvent`): the bound, and
/// which `events-dropped` row a new drop may still add to.
public struct EventAdmission: Sendable {
    /// `max-pending-events`: events kept at most; beyond, the oldest give way.
    public var maxPending: Int
    /// Evaluated inside the write: rows up to this `seq` may be on their way to the
    /// platform, so an `events-dropped` among them is not added to (its count would be
    /// deleted with it once acknowledged); nil: none is in flight.
    public var inFlightThrough: @Sendable () -> Int64?

    public init(maxPending: Int, inFlightThrough: @escaping @Sendable () -> Int64? = { nil }) {
        self.maxPending = maxPending
        self.inFlightThrough = inFlightThrough
    }
}
