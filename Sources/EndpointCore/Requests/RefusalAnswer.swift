/// How the API answers a refusal, without HTTP types (EndpointCore has none): the HTTP
/// layer turns it into a status (`APIError`). Shared by every refusal spelled in
/// EndpointCore (`StartRefusal`, `BinaryInspectionFailure`), so the mapping is one.
public enum RefusalAnswer: Equatable, Sendable {
    case badRequest
    case notFound
    case tooManyRequests
    case unavailable(retryAfterSeconds: Int?)
    /// The request is well formed but the host's state contradicts it (a pinned binary).
    case conflict
    /// The endpoint's own failure: logged with its detail, answered with the message.
    case internalError
}
