import Foundation
import PlatformWire

/// What an endpoint says of itself in `PUT /endpoints/{uuid}`.
public struct EndpointRegistration: Codable, Sendable, Equatable {
    public enum Control: String, Codable, Sendable {
        case push, pull, both
    }

    public var uuid: String
    public var hostname: String
    public var labels: [String: String]
    public var version: String
    public var control: Control
    public var analyses: [String]
    /// The endpoint's clock when it sent this (ISO 8601 text; any JSON is kept as sent).
    public var time: JSONValue?

    public init(
        uuid: String,
        hostname: String,
        labels: [String: String] = [:],
        version: String,
        control: Control,
        analyses: [String] = [],
        time: JSONValue? = nil
    ) {
        self.uuid = uuid
        self.hostname = hostname
        self.labels = labels
        self.version = version
        self.control = control
        self.analyses = analyses
        self.time = time
    }

    enum CodingKeys: String, CodingKey { case uuid, hostname, labels, version, control, analyses, time }

    /// Labels and analyses may be left out (an endpoint without any).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        uuid = try container.decode(String.self, forKey: .uuid)
        hostname = try container.decode(String.self, forKey: .hostname)
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        version = try container.decode(String.self, forKey: .version)
        control = try container.decode(Control.self, forKey: .control)
        analyses = try container.decodeIfPresent([String].self, forKey: .analyses) ?? []
        time = try container.decodeIfPresent(JSONValue.self, forKey: .time)
    }
}

/// One row of `GET /endpoints`: a registration and when its endpoint was last seen.
public struct ListedEndpoint: Codable, Sendable, Equatable {
    public var uuid: String
    public var hostname: String
    public var labels: [String: String]
    public var control: EndpointRegistration.Control
    public var version: String
    public var analyses: [String]
    public var lastSeen: String
}

/// The endpoints that registered, kept in memory (the stand-in keeps nothing durable).
/// Push endpoints never register, so they are not here: calling them is the real
/// platform's (`lambda-platform`'s sessions).
public actor EndpointRegistry {
    private var registrations: [String: (registration: EndpointRegistration, lastSeen: Date)] = [:]

    public init() {}

    public func register(_ registration: EndpointRegistration, at time: Date = Date()) {
        var registration = registration
        registration.uuid = registration.uuid.lowercased()
        registrations[registration.uuid] = (registration, time)
    }

    /// A poll is a sign of life too: `lastSeen` moves with it.
    public func seen(_ uuid: String, at time: Date = Date()) {
        registrations[uuid.lowercased()]?.lastSeen = time
    }

    public func list() -> [ListedEndpoint] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return registrations.keys.sorted().map { uuid in
            let (registration, lastSeen) = registrations[uuid]!
            return ListedEndpoint(
                uuid: uuid,
                hostname: registration.hostname,
                labels: registration.labels,
                control: registration.control,
                version: registration.version,
                analyses: registration.analyses,
                lastSeen: formatter.string(from: lastSeen)
            )
        }
    }
}
