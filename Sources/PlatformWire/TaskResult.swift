/// What the endpoint sends back for a task: `PUT <platform-url>/tasks/<id>/result` with
/// `{"endpoint": uuid, "status": <HTTP status>, "body": <JSON, or a string for text answers>}`.
public struct TaskResult: Codable, Sendable, Equatable {
    public let endpoint: String
    public let status: Int
    /// The endpoint always sends one; a platform may take a result without.
    public let body: JSONValue?

    public init(endpoint: String, status: Int, body: JSONValue?) {
        self.endpoint = endpoint
        self.status = status
        self.body = body
    }
}
