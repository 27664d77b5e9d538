/// One row of `tasks`: a task for a pull endpoint, from queued to answered.
public struct TaskRecord: Codable, Sendable, Equatable {
    public var id: String
    public var endpoint: String
    /// The PlatformTask as JSON, as the endpoint receives it.
    public var task: String
    public var session: String?
    public var queuedAt: Int64
    public var handedAt: Int64?
    public var resultStatus: Int64?
    /// The result's `body` as JSON.
    public var resultBody: String?
    public var resultAt: Int64?
}
