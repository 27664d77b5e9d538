import EndpointTestSupport
import Submitter
import Synchronization
import Testing

@Suite("ProgressSignal")
struct ProgressSignalTests {
    @Test("A timeout that fires before the waiter is registered still ends the wait")
    func timeoutRacingRegistration() async throws {
        let signal = ProgressSignal()
        let finished = try await withinDeadline(seconds: 20) {
            for _ in 0..<5000 {
                if Task.isCancelled { return false }
                await signal.wait(after: signal.generation, timeout: .zero)
            }
            return true
        }
        // A lost wake-up leaves the waiting task parked forever: wake it to end the test.
        signal.signal()
        #expect(finished == true, "a wait with an expired timeout never returned")
    }

    @Test("A signal after the generation was read wakes the waiter at once")
    func signalWakes() async {
        let signal = ProgressSignal()
        let seen = signal.generation
        signal.signal()
        await signal.wait(after: seen, timeout: nil)
    }

    @Test("A wait for a mark sleeps through lower levels and wakes when the level reaches it")
    func levelMark() async {
        let signal = ProgressSignal()
        let seen = signal.generation
        let woken = Mutex(false)
        let waiter = Task {
            await signal.wait(after: seen, until: 100, timeout: nil)
            woken.withLock { $0 = true }
        }
        for level in stride(from: Int64(10), to: 100, by: 10) {
            signal.signal(level: level)
            // A moment at each lower level for a wrong wake-up to happen (no waiter count to wait on).
            try? await Task.sleep(for: .milliseconds(5))
        }
        #expect(!woken.withLock { $0 }, "woken below its mark")
        signal.signal(level: 100)
        await waiter.value
        #expect(woken.withLock { $0 })
    }

    @Test("A level reached before the wait, or a change without a level, ends a wait for a mark at once")
    func markAlreadyReachedOrLevelless() async {
        let signal = ProgressSignal()
        let beforeLevel = signal.generation
        signal.signal(level: 500)
        await signal.wait(after: beforeLevel, until: 400, timeout: nil)
        let parked = signal.generation
        let waiter = Task { await signal.wait(after: parked, until: 10_000, timeout: nil) }
        // A moment for the waiter to park (no waiter count to wait on): the signal must wake it.
        try? await Task.sleep(for: .milliseconds(5))
        signal.signal()
        await waiter.value
        let beforeExit = signal.generation
        signal.signal()
        await signal.wait(after: beforeExit, until: 10_000, timeout: nil)
    }

    @Test("A wait for a mark still ends at its timeout")
    func markTimeout() async {
        let signal = ProgressSignal()
        signal.signal(level: 1)
        let began = ContinuousClock.now
        await signal.wait(after: signal.generation, until: 1_000, timeout: .milliseconds(50))
        #expect(ContinuousClock.now - began >= .milliseconds(50))
    }
}
