import Synchronization

/// The disk the endpoint may fill with output the platform has not acknowledged yet
/// (`max-spool-bytes`). Every run adds what its tracer wrote and releases what the
/// platform acknowledged; a run that pushes the total past the cap is stopped (its
/// bytes so far are kept and delivered).
public final class SpoolBudget: Sendable {
    public let capacity: Int64
    private let used = Mutex<Int64>(0)

    public init(capacity: Int64) {
        self.capacity = capacity
    }

    /// Adds `bytes`; true when the total is now over the cap.
    public func add(_ bytes: Int64) -> Bool {
        used.withLock { used in
            used += bytes
            return used > capacity
        }
    }

    public func release(_ bytes: Int64) {
        used.withLock { $0 = max(0, $0 - bytes) }
    }
}
