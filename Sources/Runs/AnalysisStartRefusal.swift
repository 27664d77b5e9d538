import TraceModel

/// Why an analysis start is refused before its run exists: the analysis's own rules
/// (`AnalysisRefusal`), this host's tracing support that cannot be read right now, or a
/// rule every start has (`StartRefusal`: its binary, its target). The HTTP layer maps
/// `answer` to a status, as for the others.
public enum AnalysisStartRefusal: Error, Equatable, Sendable {
    case analysis(AnalysisRefusal)
    case tracingHostUnreadable(HostInspection.Unreadable)
    case start(StartRefusal)

    public var answer: RefusalAnswer {
        switch self {
        case .analysis(let refusal): refusal.answer
        case .tracingHostUnreadable(let failure): failure.answer
        case .start(let refusal): refusal.answer
        }
    }

    public var message: String {
        switch self {
        case .analysis(let refusal): refusal.message
        case .tracingHostUnreadable(let failure): failure.message
        case .start(let refusal): refusal.message
        }
    }
}
