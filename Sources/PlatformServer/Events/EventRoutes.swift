import Foundation
import Hummingbird
import PlatformStore
import PlatformWire

/// `POST /events` (endpoint-facing: authenticated and signed as `/submit`) and
/// `GET /api/events` (viewer). A post is a JSON array of `EndpointEvent`s, at most 500 and
/// 1 MiB; every event is checked before any is stored (400 naming the field, nothing
/// stored), and the post is answered 200 once committed. An `(endpoint, id)` is kept
/// once, so an endpoint's at-least-once delivery stores each event once.
struct EventRoutes {
    let platform: Platform

    static let postBodyLimit = 1 << 20

    func add(to router: Router<PlatformContext>, api: RouterGroup<PlatformContext>) {
        api.get("events", use: list)
    }

    @Sendable func post(_ request: Request, context: PlatformContext) async throws -> Response {
        var request = request
        let endpoint = try await platform.requireEndpoint(&request, bodyLimit: Self.postBodyLimit)
        let events = try await PlatformJSON.decode([EndpointEvent].self, from: request, upTo: Self.postBodyLimit)
        let added: [EventRecord]
        do {
            added = try await platform.events.add(events, from: endpoint)
        } catch let refusal as EventStore.Refusal {
            throw PlatformRefusal(.badRequest, refusal.description)
        }
        for _ in events { platform.metrics.received(.event) }
        try await platform.heard(from: endpoint)
        if let started = added.last(where: { $0.kind == EndpointEvent.Kind.endpointStarted.rawValue }),
            let event = events.first(where: { $0.id == started.id })
        {
            try await platform.endpoints.describe(uuid: endpoint, hostname: event.detail["hostname"]?.text, version: event.detail["version"]?.text)
        }
        platform.logExport?.eventsStored(added, from: endpoint)
        return try PlatformJSON.response(["stored": added.count])
    }

    /// An event as `GET /api/events` shows it: its endpoint, and its detail as JSON.
    struct View: Encodable {
        let endpoint: String
        let id: String
        let time: String
        let kind: String
        let run: String?
        let detail: JSONValue
        let received: String

        init(_ record: EventRecord) {
            endpoint = record.endpoint
            id = record.id
            time = record.time
            kind = record.kind
            run = record.run
            detail = (try? JSONDecoder().decode(JSONValue.self, from: Data(record.detail.utf8))) ?? .object([:])
            received = ISOTime.text(record.receivedAt)
        }

        enum CodingKeys: String, CodingKey { case endpoint, id, time, kind, run, detail, received }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(endpoint, forKey: .endpoint)
            try container.encode(id, forKey: .id)
            try container.encode(time, forKey: .time)
            try container.encode(kind, forKey: .kind)
            try container.encode(run, forKey: .run)  // null, not absent
            try container.encode(detail, forKey: .detail)
            try container.encode(received, forKey: .received)
        }
    }

    @Sendable func list(_ request: Request, context: PlatformContext) async throws -> Response {
        _ = try context.require(.viewer)
        let query = request.uri.queryParameters
        let kind = query.get("kind")
        if let kind, !EndpointEvent.isValidKind(kind) { throw PlatformRefusal(.badRequest, "kind: 1-64 of [a-z0-9-]") }
        var since: Int64?
        if let text = query.get("since") {
            guard let milliseconds = ISOTime.milliseconds(text) else {
                throw PlatformRefusal(.badRequest, "since: expected an ISO 8601 date-time with a zone, e.g. 2026-12-07T15:00:00Z")
            }
            since = milliseconds
        }
        let events = try await platform.events.events(
            endpoint: query.get("endpoint")?.lowercased(),
            kind: kind,
            since: since,
            limit: try ListLimit.parse(query.get("limit"))
        )
        return try PlatformJSON.response(events.map(View.init))
    }
}

extension JSONValue {
    /// The text of a string value, nil for every other kind.
    var text: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}

/// `limit` of a list route: 1-1000, 100 when absent.
enum ListLimit {
    static func parse(_ text: String?) throws -> Int {
        guard let text else { return 100 }
        guard let limit = Int(text), (1...1000).contains(limit) else { throw PlatformRefusal(.badRequest, "limit: expected 1 to 1000") }
        return limit
    }
}
