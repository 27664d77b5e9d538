import NIOCore

/// Where `/submit` messages go: the platform over HTTP (`PlatformClient`), or, in tests,
/// a recording fake. One message per call; the answer's status decides what happens next
/// (`RetryPolicy`); a thrown error counts as no answer at all.
public protocol SubmitTransport: Sendable {
    func send(_ body: ByteBuffer) async throws -> SubmitAnswer
}

/// The platform's answer to one message: its status and `Retry-After`, if any.
public struct SubmitAnswer: Equatable, Sendable {
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
