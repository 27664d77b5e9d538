import NIOCore
import NIOPosix

/// The one thread every run's delivery runs on: an event loop of its own that also
/// carries the `/submit` connections (`PlatformConnection` connects on it), and the task
/// executor every `RunDelivery` prefers. A chunk then costs no thread switch: the send's
/// write, the answer's read, the resumed delivery, its `pread` and base64 all happen on
/// this thread. Before, the delivery ran on Swift's shared pool and each message crossed
/// to the connection's loop and back: two wake-ups of a sleeping thread per chunk, with
/// the scheduler's switch on each, about a third of the endpoint's CPU per 51200-byte
/// chunk in `perf` (`finish_task_switch` and futex waits).
///
/// Reads of the run file are `pread`s of pages the tracer's reader thread has just
/// written, from the page cache; they belong on a thread of their own like any blocking
/// file work (never on the shared pool), and this is that thread. One thread for every
/// run's delivery: it encodes about 1 GB/s, well beyond what tracers write.
public final class DeliveryExecutor: TaskExecutor {
    public static let shared = DeliveryExecutor()

    /// Lives as long as the process: the executor is static, its loop never shut down.
    private static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    public let eventLoop: any EventLoop

    private init() {
        eventLoop = Self.group.next()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
