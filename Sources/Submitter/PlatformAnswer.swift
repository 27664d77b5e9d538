/// The platform's answer to one request (a `/submit` message, a registration, a poll, a
/// result): its status and `Retry-After`, if any.
public struct PlatformAnswer: Equatable, Sendable {
    public var status: Int
    public var retryAfter: String?
    /// The answer's `Authorization` header (a pull-mode task answer is signed with it).
    public var authorization: String?
    /// The answer's `Lambda-Signature` header (a poll answer must carry one for that poll).
    public var signature: String?
    /// The body, when the request asked for it (`PlatformClient.request`); nil for
    /// `/submit`, whose answer bodies are dropped as they arrive.
    public var body: [UInt8]?

    public init(status: Int, retryAfter: String? = nil, authorization: String? = nil, signature: String? = nil, body: [UInt8]? = nil) {
        self.status = status
        self.retryAfter = retryAfter
        self.authorization = authorization
        self.signature = signature
        self.body = body
    }
}
