/// One row of `sessions`: what to run over the fleet, on which endpoints, and its round.
public struct SessionRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// The label selector as given (`role=db,zone=eu-1`).
    public var selector: String
    /// JSON of what each endpoint is asked to run: `template` or `analysis`, `traceT`,
    /// `target`, `lasting`, `context` (the server's `SessionSpec`).
    public var spec: String
    /// 0 before the first `{"run": true}`; each new round adds one.
    public var round: Int64
    public var created: Int64
    public var createdBy: String

    public init(id: String, name: String, selector: String, spec: String, round: Int64 = 0, created: Int64, createdBy: String) {
        self.id = id
        self.name = name
        self.selector = selector
        self.spec = spec
        self.round = round
        self.created = created
        self.createdBy = createdBy
    }
}
