import Foundation

/// The results the endpoint makes up itself for a task it does not run: the platform
/// waits for every id it sent, so each gets an answer saying why.
extension TaskResult {
    /// 409: taken before the endpoint stopped, no result recorded; never run again.
    public static func inDoubt(id: String, takenAt: Date, endpoint: String) -> TaskResult {
        TaskResult(
            endpoint: endpoint,
            status: 409,
            body: .object([
                "error": .string(
                    "task \(id) was taken at \(timestamp(takenAt)) and the endpoint stopped before its result was recorded; it is not run again"
                )
            ])
        )
    }

    /// 409: ran long ago, its result settled and since evicted; never run again.
    public static func resultEvicted(id: String, takenAt: Date, endpoint: String) -> TaskResult {
        TaskResult(
            endpoint: endpoint,
            status: 409,
            body: .object([
                "error": .string(
                    "task \(id) was executed at \(timestamp(takenAt)); its result, settled then, is no longer kept; it is not run again"
                )
            ])
        )
    }

    /// 503: the record of tasks is full of unsettled results; not run, not recorded, so
    /// the same id may run once the platform has taken them.
    public static func recordFull(id: String, reason: String, endpoint: String) -> TaskResult {
        TaskResult(endpoint: endpoint, status: 503, body: .object(["error": .string("task \(id) not run: \(reason); send it again later")]))
    }

    private static func timestamp(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}
