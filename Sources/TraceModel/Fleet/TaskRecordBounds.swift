/// How much the record of pull-mode tasks (`ExecutedTaskRecord`) may hold: what makes it
/// fit a disk bound while it never forgets a task whose result the platform has not
/// settled.
///
/// Under pressure the oldest *settled* rows give way first (acknowledged, or dropped
/// after the platform refused them): beyond `maxBytes` their results are evicted (the
/// id stays, so a redelivery is still answered without running again), beyond
/// `maxRows` the rows themselves go. When unsettled rows alone reach a bound, a new task
/// is refused (answered 503, not run) rather than an unsettled row forgotten.
public struct TaskRecordBounds: Sendable, Equatable {
    /// Bytes of stored results (their JSON as stored). A new task is taken while the
    /// record holds less, so the record holds at most this plus one result (a route's
    /// answer is at most 4 MiB).
    public var maxBytes: Int64
    /// Task ids kept. 10,000 ids without their results are about 2 MB; a platform
    /// redelivers an id within minutes.
    public var maxRows: Int

    public static let defaultMaxBytes: Int64 = 64 << 20
    public static let defaultMaxRows = 10_000

    public init(maxBytes: Int64 = TaskRecordBounds.defaultMaxBytes, maxRows: Int = TaskRecordBounds.defaultMaxRows) {
        self.maxBytes = maxBytes
        self.maxRows = maxRows
    }
}
