import NIOCore

/// Where `/submit` messages go: the platform over HTTP (`PlatformClient`), or, in tests,
/// a recording fake. One message per call; the answer's status decides what happens next
/// (`RetryPolicy`); a thrown error counts as no answer at all.
public protocol SubmitTransport: Sendable {
    func send(_ body: ByteBuffer) async throws -> PlatformAnswer
}
