import Foundation

/// What a pull-mode endpoint tells the platform about itself, at start and every
/// `register-interval`: `PUT <platform-url>/endpoints/<uuid>` with this body.
public struct Registration: Encodable, Sendable {
    /// The endpoint's own version, as registrations and doctor show it.
    public static let endpointVersion = "0.6.0"

    public let uuid: String
    public let hostname: String
    public let labels: [String: String]
    public let version: String
    public let control: ControlMode
    /// The analyses this host can run now (`GET /analyses`' available ones).
    public let analyses: [String]
    public let time: Date

    public init(uuid: String, hostname: String, labels: [String: String], control: ControlMode, analyses: [String], time: Date = Date()) {
        self.uuid = uuid
        self.hostname = hostname
        self.labels = labels
        self.version = Self.endpointVersion
        self.control = control
        self.analyses = analyses
        self.time = time
    }
}
