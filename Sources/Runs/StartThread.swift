import Dispatch

/// The thread a start's blocking work runs on: creating the run's files in trace-dir,
/// `posix_spawn` and the pipes behind it, and undoing them. Not the supervisor actor's
/// own thread, which is one of Swift's concurrency pool (one per core): a start held up
/// there by a slow disk or a spawn under memory pressure would hold up every request
/// and every delivery with it. One serial thread: the supervisor starts runs one
/// after another anyway, and a stuck start then stops only other starts.
enum StartThread {
    private static let queue = DispatchQueue(label: "lambda-endpoint.start")

    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }
}
