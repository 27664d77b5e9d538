import HostSystem
import TraceModel

/// Where a template's binary is read: checking `process` when a template is stored or
/// started, and looking its functions up. Never on the concurrency pool: a binary on
/// a hung mount would block that thread for good (see `BlockingWorkPool`).
public enum BinaryInspection {
    /// 4 threads: the most that a hung file system can ever hold stuck (each stays
    /// blocked in the kernel until the mount answers); an inspection of /bin/bash takes
    /// well under a millisecond, so 4 serve far more requests than any platform sends.
    /// 256 may wait for one: a burst of PUTs (57 at once in the route tests) waits
    /// instead of being turned away, each for at most the timeout. 5 s: a local binary
    /// answers in milliseconds; one that takes longer is not one to trace.
    public static let pool = BlockingWorkPool(label: "lambda-endpoint.binary", threads: 4, maxWaiting: 256, timeout: .seconds(5))

    /// Runs `work` on the pool. A timeout is the binary's fault (400 naming `process`);
    /// a pool whose threads are all busy is the endpoint's state (503, Retry-After).
    public static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws(BinaryInspectionFailure) -> T {
        do {
            return try await pool.run(work)
        } catch {
            switch error {
            case .timedOut: throw .timedOut(seconds: pool.timeout.components.seconds)
            case .saturated: throw .busy
            }
        }
    }
}
