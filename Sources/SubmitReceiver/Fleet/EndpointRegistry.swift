import Foundation
import PlatformServer
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

/// An endpoint the platform calls itself (push), declared with `--push-endpoint 'UUID=URL'`
/// or `'UUID=URL;role=db,zone=eu-1'`: push endpoints do not register.
public struct PushEndpoint: Sendable, Equatable {
    public let uuid: String
    public let url: String
    public let labels: [String: String]

    public init(uuid: String, url: String, labels: [String: String] = [:]) {
        self.uuid = uuid.lowercased()
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.labels = labels
    }

    public init(parsing text: String) throws(LabelSelector.Malformed) {
        let (declaration, labelText) = text.split(separator: ";", maxSplits: 1).map(String.init).splitFirst
        let parts = declaration.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, UUID(uuidString: parts[0]) != nil, let url = URL(string: parts[1]), url.scheme == "http" || url.scheme == "https"
        else {
            throw LabelSelector.Malformed(description: "--push-endpoint: expected UUID=http(s)://host:port[;key=value,...], got \(text)")
        }
        self.init(uuid: parts[0], url: parts[1], labels: try LabelSelector.pairs(labelText ?? "", what: "--push-endpoint labels"))
    }
}

extension Array where Element == String {
    fileprivate var splitFirst: (String, String?) { (first ?? "", count > 1 ? self[1] : nil) }
}

/// One row of `GET /endpoints`: null where a declared push endpoint never said it.
public struct ListedEndpoint: Codable, Sendable, Equatable {
    public var uuid: String
    public var hostname: String?
    public var labels: [String: String]
    public var control: EndpointRegistration.Control?
    public var version: String?
    public var analyses: [String]?
    public var lastSeen: String?
    public var url: String?

    /// How the platform reaches it: tasks in a queue, or calls to its url.
    public var reachedByPull: Bool { control == .pull || control == .both }

    public func encode(to encoder: any Encoder) throws {
        // Every key present, null included: a client reads one shape.
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(uuid, forKey: .uuid)
        try container.encode(hostname, forKey: .hostname)
        try container.encode(labels, forKey: .labels)
        try container.encode(control, forKey: .control)
        try container.encode(version, forKey: .version)
        try container.encode(analyses, forKey: .analyses)
        try container.encode(lastSeen, forKey: .lastSeen)
        try container.encode(url, forKey: .url)
    }
}

/// The endpoints the platform knows: registrations (kept in memory, as the reference
/// platform keeps everything) and the declared push endpoints.
public actor EndpointRegistry {
    private var registrations: [String: (registration: EndpointRegistration, lastSeen: Date)] = [:]
    private var pushEndpoints: [String: PushEndpoint]

    public init(pushEndpoints: [PushEndpoint] = []) {
        self.pushEndpoints = Dictionary(pushEndpoints.map { ($0.uuid, $0) }) { _, last in last }
    }

    /// Declares a push endpoint after start (a test's endpoint, whose port is known late).
    public func declare(_ push: PushEndpoint) {
        pushEndpoints[push.uuid] = push
    }

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
        let uuids = Set(registrations.keys).union(pushEndpoints.keys)
        return uuids.sorted().map { uuid in
            let registered = registrations[uuid]
            let push = pushEndpoints[uuid]
            return ListedEndpoint(
                uuid: uuid,
                hostname: registered?.registration.hostname,
                labels: registered?.registration.labels ?? push?.labels ?? [:],
                control: registered?.registration.control,
                version: registered?.registration.version,
                analyses: registered?.registration.analyses,
                lastSeen: registered.map { formatter.string(from: $0.lastSeen) },
                url: push?.url
            )
        }
    }
}
