/// How the API answers a refusal, without HTTP types (TraceModel has none): the HTTP
/// layer turns it into a status (`APIError`). Shared by every refusal spelled in
/// TraceModel (`StartRefusal`, `BinaryInspectionFailure`, `AnalysisRefusal`), so the
/// mapping is one.
public enum RefusalAnswer: Equatable, Sendable {
    case badRequest
    case notFound
    /// The request is well formed but this host cannot do it: an analysis it lacks the
    /// kernel support for, a binary that is not the build the template pins.
    case conflict
    case tooManyRequests
    case unavailable(retryAfterSeconds: Int?)
    /// The endpoint's own failure: logged with its detail, answered with the message.
    case internalError
}
