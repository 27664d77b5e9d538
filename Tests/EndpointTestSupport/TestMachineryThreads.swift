import HostSystem

/// Where the test machinery's blocking waits run (a `pg_ctl start -w`, a `psql`, an
/// haproxy coming up): dedicated threads, never Swift's concurrency pool, which has one
/// thread a core and would stall every test of the process meanwhile.
enum TestMachineryThreads {
    /// Four threads: a cluster starting, and a few tests making databases at once. The
    /// timeout is past every wait these callers give their commands (60 s at most).
    private static let pool = BlockingWorkPool(label: "test-machinery", threads: 4, maxWaiting: 256, timeout: .seconds(180))

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.run { Result { try work() } }.get()
    }
}
