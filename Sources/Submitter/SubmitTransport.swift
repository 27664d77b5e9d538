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

    public init(status: Int, retryAfter: String? = nil) {
        self.status = status
        self.retryAfter = retryAfter
    }
}
