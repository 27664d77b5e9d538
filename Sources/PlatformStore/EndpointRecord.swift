/// One row of `endpoints`: an endpoint declared in platform.yml or registered.
public struct EndpointRecord: Codable, Sendable, Equatable {
    public var uuid: String
    public var hostname: String?
    /// JSON object of labels.
    public var labels: String
    public var control: String?
    public var version: String?
    /// JSON array of analysis names.
    public var analyses: String?
    /// A push endpoint's base URL.
    public var url: String?
    public var registeredAt: Int64?
    public var lastSeen: Int64?
}
