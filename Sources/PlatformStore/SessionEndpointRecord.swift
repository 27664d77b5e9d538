/// One row of `session_endpoints`: where one endpoint is in its session's newest round.
public struct SessionEndpointRecord: Codable, Sendable, Equatable {
    /// What the platform knows of the endpoint's part (docs/platform.md, *Sessions*).
    /// `finished` is never stored: a `running` row whose run's stream has finished is
    /// shown so, read from the runs table.
    public enum State: String, Codable, Sendable, CaseIterable {
        case queued, starting, running, finished, failed, killed
    }

    public var session: String
    public var endpoint: String
    public var round: Int64
    public var state: State
    /// The platform's run id, once the start's answer gave the run's file path.
    public var run: String?
    /// The HTTP status of the endpoint's last answer.
    public var status: Int64?
    public var error: String?
    /// The id of the request the row waits on; nil when it waits on none.
    public var task: String?
    public var updated: Int64

    public init(
        session: String,
        endpoint: String,
        round: Int64,
        state: State,
        run: String? = nil,
        status: Int64? = nil,
        error: String? = nil,
        task: String? = nil,
        updated: Int64
    ) {
        self.session = session
        self.endpoint = endpoint
        self.round = round
        self.state = state
        self.run = run
        self.status = status
        self.error = error
        self.task = task
        self.updated = updated
    }
}

/// One row of `session_templates`: a template a session stored on an endpoint.
public struct SessionTemplateRecord: Codable, Sendable, Equatable {
    public var session: String
    public var endpoint: String
    public var traceNo: Int64
    /// JSON array of the template's tracer types (one `/trace/remove` each).
    public var traceTypes: String
}
