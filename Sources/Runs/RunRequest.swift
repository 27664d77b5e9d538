import EndpointCore

/// What a start asks the supervisor to run, every check that needs no run already
/// passed (`StartRefusal` lists the ones that did not): a template, the tracer to run
/// it with, for how long, and on what target. Every run kind is one of these into the one run machinery.
public struct RunRequest: Sendable, Equatable {
    public var template: TraceTemplate
    public var tracer: TracerType
    public var lastingSeconds: Int
    /// nil: the template's process on the host, as before targets.
    public var target: RunTarget?

    public init(template: TraceTemplate, tracer: TracerType, lastingSeconds: Int, target: RunTarget? = nil) {
        self.template = template
        self.tracer = tracer
        self.lastingSeconds = lastingSeconds
        self.target = target
    }
}

/// A started run, as `POST /trace/start` answers it.
public struct StartedRun: Sendable, Equatable {
    public var runNumber: Int
    public var filePath: String
}
