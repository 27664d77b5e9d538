import EndpointCore
import Testing

@Suite("ProgressSignal")
struct ProgressSignalTests {
    @Test("A timeout that fires before the waiter is registered still ends the wait")
    func timeoutRacingRegistration() async {
        let signal = ProgressSignal()
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for _ in 0..<5000 {
                    if Task.isCancelled { return false }
                    await signal.wait(after: signal.generation, timeout: .zero)
                }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(20))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            // A lost wake-up leaves the first task parked forever: wake it to end the test.
            signal.signal()
            return first
        }
        #expect(finished, "a wait with an expired timeout never returned")
    }

    @Test("A signal after the generation was read wakes the waiter at once")
    func signalWakes() async {
        let signal = ProgressSignal()
        let seen = signal.generation
        signal.signal()
        await signal.wait(after: seen, timeout: nil)
    }
}
