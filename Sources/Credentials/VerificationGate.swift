/// Bounds how many argon2 verifications run at once and how many requests may queue
/// for one. Without it a flood of fresh (uncached) headers would take every core and
/// unbounded memory; with it the flood waits in a short line, and a request past the
/// line is turned away at once (the caller answers 503).
public actor VerificationGate {
    public let maxConcurrent: Int
    public let maxWaiting: Int
    private var running = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(maxConcurrent: Int, maxWaiting: Int) {
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxWaiting = max(0, maxWaiting)
    }

    /// Waits for a slot; false when the waiting line is already full.
    public func enter() async -> Bool {
        if running < maxConcurrent {
            running += 1
            return true
        }
        guard waiters.count < maxWaiting else { return false }
        // The slot is handed over by `leave()`, which does not decrement `running`.
        await withCheckedContinuation { waiters.append($0) }
        return true
    }

    public func leave() {
        if waiters.isEmpty {
            running -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }

    public var waiting: Int { waiters.count }
}
