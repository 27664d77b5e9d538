import Foundation

/// What happened to an endpoint, told to its platform beside the streams:
/// `POST <platform-url>/events` with a JSON array of these (as the seed dutserver's agents
/// post events). Delivered at least once: the platform keeps each `(endpoint, id)` once.
public struct EndpointEvent: Codable, Sendable, Equatable {
    /// The kinds an endpoint sends. A platform stores any kind that passes `isValidKind`
    /// (a newer endpoint may send kinds this one does not list).
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case endpointStarted = "endpoint-started"
        case runStarted = "run-started"
        case runFinished = "run-finished"
        case runResumed = "run-resumed"
        case rateLimited = "rate-limited"
        case probesMissing = "probes-missing"
        case eventsLost = "events-lost"
        case spoolFull = "spool-full"
        case deliveryStalled = "delivery-stalled"
        /// The endpoint's own outbox overflowed (`max-pending-events`): `detail.dropped`
        /// counts the oldest events it dropped.
        case eventsDropped = "events-dropped"
    }

    /// Unique per endpoint: 1-128 of `[A-Za-z0-9._:-]` (the endpoint uses a UUID).
    public var id: String
    /// When it happened (ISO 8601 with a zone, e.g. `2026-12-07T15:00:00.123Z`).
    public var time: String
    public var kind: String
    /// The run's `filePath`, or nil for an event of the endpoint itself.
    public var run: String?
    /// Kind-specific fields (an object).
    public var detail: [String: JSONValue]

    public init(id: String, time: String, kind: String, run: String?, detail: [String: JSONValue]) {
        self.id = id
        self.time = time
        self.kind = kind
        self.run = run
        self.detail = detail
    }

    public init(
        id: String = UUID().uuidString.lowercased(),
        at date: Date = Date(),
        kind: Kind,
        run: String? = nil,
        detail: [String: JSONValue] = [:]
    ) {
        self.init(id: id, time: Self.timeText(date), kind: kind.rawValue, run: run, detail: detail)
    }

    /// At most this many events in one `POST /events` body.
    public static let maxPerPost = 500

    /// ISO 8601 with milliseconds and `Z`.
    public static func timeText(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(
                separator: .omitted
            )
        )
    }

    public static func isValidID(_ id: String) -> Bool { PlatformTask.isValidID(id) }

    /// 1-64 of lowercase letters, digits and `-`.
    public static func isValidKind(_ kind: String) -> Bool {
        (1...64).contains(kind.utf8.count)
            && kind.utf8.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || $0 == UInt8(ascii: "-")
            }
    }
}
