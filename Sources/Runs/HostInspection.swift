import HostSystem
import TraceModel

/// Where the host's tracing support is read (`TracingHost`: tracefs, the perf event
/// check): for `GET /analyses`, and for an analysis start's availability check. Never on
/// the concurrency pool: tracefs-path may name any mount, and one that hangs must hold
/// one thread, not the pool (see `BlockingWorkPool`).
public enum HostInspection {
    /// One thread: a whole catalogue's checks take well under a millisecond. 64 may wait;
    /// 5 s is far beyond a healthy answer.
    public static let pool = BlockingWorkPool(label: "lambda-endpoint.host", threads: 1, maxWaiting: 64, timeout: .seconds(5))

    /// The pool was stuck or saturated: the endpoint's state, not the request's, answered
    /// 503 with Retry-After.
    public struct Unreadable: Error, Equatable, Sendable {
        public let tracefsPath: String

        public var answer: RefusalAnswer { .unavailable(retryAfterSeconds: 5) }
        public var message: String { "cannot read this host's tracing support (tracefs-path \(tracefsPath)) right now; retry later" }
    }

    /// Runs `work` on the pool.
    public static func run<T: Sendable>(tracefsPath: String, _ work: @escaping @Sendable () -> T) async throws(Unreadable) -> T {
        do {
            return try await pool.run(work)
        } catch {
            throw Unreadable(tracefsPath: tracefsPath)
        }
    }
}
