/// The start a run came from, kept with the run so that the next life of the endpoint
/// can relaunch it for the time it has left (docs/delivery.md, "Runs that outlive a
/// restart"): the body as it passed its rules, approved again at the relaunch through
/// the same start rules (template, pins, target, rate bound), with `lasting` the time left.
public struct RelaunchableStart: Codable, Sendable, Equatable {
    public enum Body: Codable, Sendable, Equatable {
        case template(StartRequest)
        case analysis(AnalysisStartRequest)
    }

    public var body: Body
    /// A pid target's process start time (clock ticks since boot) at the first start: a
    /// relaunch traces that process or none, never a later one given the same pid.
    public var pidStartTime: Int64?

    public init(body: Body, pidStartTime: Int64? = nil) {
        self.body = body
        self.pidStartTime = pidStartTime
    }

    /// Whether the start asked to outlive a restart (`"resume"` absent, null or true).
    public var asksToResume: Bool {
        switch body {
        case .template(let start): start.resume != false
        case .analysis(let start): start.resume != false
        }
    }

    /// The same body for `seconds` of tracing.
    public func body(lasting seconds: Int) -> Body {
        switch body {
        case .template(let start): .template(start.lasting(Int64(seconds)))
        case .analysis(let start): .analysis(start.lasting(Int64(seconds)))
        }
    }
}
