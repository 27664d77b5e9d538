import NIOCore
import Submitter
import Synchronization

/// A transport to a platform that never answers, for tests of the supervisor's own rules
/// (limits, stops, launches), which need somewhere to send but no platform: every
/// message fails as a refused connection does (`send` throws), so the delivery retries
/// and the run stays undelivered. It records how many messages were tried.
final class UnreachablePlatformTransport: SubmitTransport {
    struct Unreachable: Error {}

    private let attempts = Mutex(0)

    /// Messages sent so far (each retry counts).
    var messagesTried: Int { attempts.withLock { $0 } }

    func send(_ body: ByteBuffer) async throws -> PlatformAnswer {
        attempts.withLock { $0 += 1 }
        throw Unreachable()
    }
}
