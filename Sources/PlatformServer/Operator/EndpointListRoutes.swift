import Foundation
import Hummingbird
import PlatformStore

/// `GET /api/endpoints` (viewer) and `DELETE /api/endpoints/{uuid}` (admin: forget a
/// registration and its waiting tasks).
struct EndpointListRoutes {
    let platform: Platform
    let clock: OperatorClock

    /// Heard from within this long: online. Three heartbeat periods (30 s), so one late or
    /// lost heartbeat does not flip a push endpoint offline; a pull endpoint polls more often.
    static let onlineWithin: Int64 = 90_000

    func add(to api: RouterGroup<PlatformContext>) {
        api.get("endpoints", use: list)
        api.delete("endpoints/:uuid", use: forget)
    }

    @Sendable func list(_ request: Request, context: PlatformContext) async throws -> Response {
        _ = try context.require(.viewer)
        let now = clock.now()
        let listed = try await platform.endpoints.all().map { record in
            ListedEndpoint(
                record,
                online: record.lastSeen.map { now - $0 <= Self.onlineWithin } == true || platform.taskArrivals.waiting(on: record.uuid) > 0
            )
        }
        return try PlatformJSON.response(listed)
    }

    @Sendable func forget(_ request: Request, context: PlatformContext) async throws -> Response {
        let admin = try context.require(.admin)
        let uuid = try context.parameters.require("uuid").lowercased()
        guard try await platform.endpoints.forget(uuid) else { throw PlatformRefusal(.notFound, "no endpoint \(uuid)") }
        context.logger.info("Endpoint forgotten", metadata: ["endpoint.uuid": "\(uuid)", "by": "\(admin.name)"])
        return Response(status: .noContent)
    }
}

/// An endpoint as `GET /api/endpoints` answers it: every field present, null when unknown
/// (an endpoint declared in platform.yml that never registered has no hostname yet).
struct ListedEndpoint: Encodable {
    let uuid: String
    let hostname: String?
    let labels: [String: String]
    let control: String?
    let version: String?
    let analyses: [String]?
    let url: String?
    let lastSeen: String?
    let online: Bool

    init(_ record: EndpointRecord, online: Bool) {
        uuid = record.uuid
        hostname = record.hostname
        labels = (try? JSONDecoder().decode([String: String].self, from: Data(record.labels.utf8))) ?? [:]
        control = record.control
        version = record.version
        analyses = record.analyses.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        url = record.url
        lastSeen = record.lastSeen.map(ISOTime.text)
        self.online = online
    }

    enum CodingKeys: String, CodingKey {
        case uuid, hostname, labels, control, version, analyses, url, lastSeen, online
    }

    /// Written out so that unknown fields are `null`, not left out.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(uuid, forKey: .uuid)
        try container.encode(hostname, forKey: .hostname)
        try container.encode(labels, forKey: .labels)
        try container.encode(control, forKey: .control)
        try container.encode(version, forKey: .version)
        try container.encode(analyses, forKey: .analyses)
        try container.encode(url, forKey: .url)
        try container.encode(lastSeen, forKey: .lastSeen)
        try container.encode(online, forKey: .online)
    }
}
