import PlatformStore
import Synchronization

/// Who wants to know when a task's result was committed: the sessions (a start's answer
/// gives the run's file path), and anyone waiting on one task id (`answers`).
public final class TaskResultObservers: Sendable {
    public typealias Observer = @Sendable (TaskRecord) async -> Void

    private let observers = Mutex<[Observer]>([])
    /// Wakes waiters of a task id when its result is committed.
    public let answers = WakeSignal()

    public init() {}

    /// Adds an observer, at start (observers are never removed).
    public func add(_ observer: @escaping Observer) {
        observers.withLock { $0.append(observer) }
    }

    func resultArrived(_ record: TaskRecord, platform: Platform) async {
        await platform.announce(.taskAnswered, record.id)
        for observer in observers.withLock({ $0 }) { await observer(record) }
    }
}
