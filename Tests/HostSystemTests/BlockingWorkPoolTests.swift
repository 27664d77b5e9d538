import EndpointTestSupport
import Foundation
import HostSystem
import Testing

@Suite("BlockingWorkPool: dedicated threads, a deadline for every caller")
struct BlockingWorkPoolTests {
    @Test("Work runs on one of the pool's own threads and its result comes back")
    func runsOnItsThreads() async throws {
        let pool = BlockingWorkPool(label: "pool-test", threads: 2, maxWaiting: 4, timeout: .seconds(5))
        // By identity, not by name: under parallel test runs a thread of the concurrency
        // pool can carry a name it inherited, and two pools may share a label.
        #expect(!pool.isCurrentThreadInPool)
        #expect(try await pool.run { pool.isCurrentThreadInPool })
        let other = BlockingWorkPool(label: "pool-test", threads: 1, maxWaiting: 4, timeout: .seconds(5))
        #expect(try await other.run { pool.isCurrentThreadInPool } == false, "another pool's thread, with the same label")
        #expect(try await pool.run { 6 * 7 } == 42)
    }

    /// How `work` failed on `pool`; nil when it ran.
    static func failure(_ work: @escaping @Sendable () -> Void, in pool: BlockingWorkPool) async -> BlockingWorkPool.Failure? {
        do {
            try await pool.run(work)
            return nil
        } catch {
            return error
        }
    }

    /// A read blocked on a hung mount never returns; a semaphore never signalled stands
    /// in for it.
    @Test(
        "Stuck work: its caller gets timedOut, a caller in line saturated after the deadline, one past the line at once; the pool serves again once the thread is free"
    )
    func stuckWork() async throws {
        let pool = BlockingWorkPool(label: "pool-stuck", threads: 1, maxWaiting: 1, timeout: .milliseconds(300))
        let release = DispatchSemaphore(value: 0)
        let clock = ContinuousClock()
        let started = clock.now
        let taken = DispatchSemaphore(value: 0)
        let stuck = Task {
            await Self.failure(
                {
                    taken.signal()
                    release.wait()
                },
                in: pool
            )
        }
        // Polled, never waited for: a blocked test thread could starve the task that submits it.
        try await eventually("the pool's thread takes the stuck work") { taken.wait(timeout: .now()) == .success }
        let waiting = Task { await Self.failure({}, in: pool) }
        // In line: the pool does not show its queue, so a moment for the task to get there.
        try await Task.sleep(for: .milliseconds(50))
        let refusedAt = clock.now
        #expect(await Self.failure({}, in: pool) == .saturated)
        #expect(clock.now - refusedAt < .milliseconds(100), "refused at once")
        #expect(await stuck.value == .timedOut)
        #expect(await waiting.value == .saturated)
        // The deadline's timer runs on Dispatch's shared threads: with the whole test
        // target running on two busy cores it fired up to 3 s late, hence the margin.
        let elapsed = clock.now - started
        #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(10), "\(elapsed)")
        release.signal()
        #expect(try await pool.run { 3 } == 3)
    }
}
