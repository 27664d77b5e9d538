import HostSystem

/// Where the host's tracing support is read (`TracingHost`: tracefs, the perf event
/// check): for `GET /analyses`, and for an analysis start's availability check. Never on
/// the concurrency pool: tracefs-path may name any mount, and one that hangs must hold
/// one thread, not the pool (see `BlockingWorkPool`).
enum HostInspection {
    /// One thread: a whole catalogue's checks take well under a millisecond. 64 may wait;
    /// 5 s is far beyond a healthy answer.
    static let pool = BlockingWorkPool(label: "lambda-endpoint.host", threads: 1, maxWaiting: 64, timeout: .seconds(5))

    /// Runs `work` on the pool; a stuck or saturated pool is answered 503 with Retry-After.
    static func run<T: Sendable>(tracefsPath: String, _ work: @escaping @Sendable () -> T) async throws(APIError) -> T {
        do {
            return try await pool.run(work)
        } catch {
            throw APIError(
                answer: .unavailable(retryAfterSeconds: 5),
                message: "cannot read this host's tracing support (tracefs-path \(tracefsPath)) right now; retry later"
            )
        }
    }
}
