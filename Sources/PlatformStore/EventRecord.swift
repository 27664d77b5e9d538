import Foundation

/// One row of `events`: what an endpoint told of itself (`POST /events`), once per
/// `(endpoint, id)`.
public struct EventRecord: Codable, Sendable, Equatable {
    public var endpoint: String
    public var id: String
    /// As the endpoint wrote it (ISO 8601), and the same instant in milliseconds.
    public var time: String
    public var at: Int64
    public var kind: String
    /// The run's `filePath`, nil for an event of the endpoint itself.
    public var run: String?
    /// The `detail` object as JSON text.
    public var detail: String
    /// Milliseconds since the epoch when the platform committed it.
    public var receivedAt: Int64
}
