import CLinux
import Dispatch
import Foundation
import Synchronization

/// A few dedicated threads for blocking work that may never return, with a deadline
/// for every caller.
///
/// Reading a file a client named can block for good: a binary on a hung NFS mount
/// blocks `open`, `stat` and `read` in the kernel, where no timeout or signal reaches
/// them. On Swift's concurrency pool (one thread per core) two such reads would stop
/// every request, heartbeat included; on `DispatchQueue.global()` each one would take
/// one more thread, without limit. Here at most `threads` threads can ever be stuck,
/// at most `maxWaiting` calls wait for one, and every caller has its answer within
/// `timeout`: the work's result, `.timedOut` (it started but did not finish; its
/// thread stays with it) or `.saturated` (no thread took it in time, or the line was
/// full).
public final class BlockingWorkPool: Sendable {
    public enum Failure: Error, Equatable, Sendable {
        /// The work started and did not finish within the timeout.
        case timedOut
        /// Every thread was busy: the line was full, or the work waited out the timeout in it.
        case saturated
    }

    public let label: String
    public let threads: Int
    public let maxWaiting: Int
    public let timeout: Duration

    private let waiting = Mutex<[Job]>([])
    private let threadsStarted = Mutex(false)
    /// The kernel thread ids of the pool's threads, as each records its own on start.
    private let threadIDs = Mutex<Set<Int32>>([])
    private let workArrived = DispatchSemaphore(value: 0)

    public init(label: String, threads: Int, maxWaiting: Int, timeout: Duration) {
        self.label = label
        self.threads = max(1, threads)
        self.maxWaiting = max(1, maxWaiting)
        self.timeout = timeout
    }

    /// Runs `work` on one of the pool's threads and waits for it at most `timeout`.
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws(Failure) -> T {
        startThreadsOnce()
        let result: Result<T, Failure> = await withCheckedContinuation { continuation in
            let answer = SingleAnswer(continuation)
            let job = Job { answer.give(.success(work())) }
            let admitted = waiting.withLock { line in
                guard line.count < maxWaiting else { return false }
                line.append(job)
                return true
            }
            guard admitted else {
                answer.give(.failure(.saturated))
                return
            }
            workArrived.signal()
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Self.nanoseconds(timeout))) { [self] in
                let neverStarted = waiting.withLock { line in
                    guard let index = line.firstIndex(where: { $0 === job }) else { return false }
                    line.remove(at: index)
                    return true
                }
                answer.give(.failure(neverStarted ? .saturated : .timedOut))
            }
        }
        return try result.get()
    }

    private func startThreadsOnce() {
        let start = threadsStarted.withLock { started in
            defer { started = true }
            return !started
        }
        guard start else { return }
        for index in 0..<threads {
            let name = "\(label)-\(index)"
            let thread = Thread { [self] in
                // Set from the thread itself, the kernel's name (what ps and gdb show)
                // first and directly: a new thread starts with its creator's name (a
                // concurrency-pool thread's "…oot.default-qos"), and Foundation's setter
                // alone left it so now and then.
                _ = clinux_name_this_thread(name)
                Thread.current.name = name
                threadIDs.withLock { _ = $0.insert(clinux_gettid()) }
                while true {
                    workArrived.wait()
                    // A job that timed out in line was taken out by its timer; its
                    // signal then finds nothing.
                    guard let job = waiting.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
                    job.body()
                }
            }
            thread.start()
        }
    }

    /// Whether the calling thread is one of the pool's (for tests, by identity: a name
    /// can be shared, and an inherited one lingers).
    public var isCurrentThreadInPool: Bool {
        let current = clinux_gettid()
        return threadIDs.withLock { $0.contains(current) }
    }

    static func nanoseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
    }

    private final class Job: Sendable {
        let body: @Sendable () -> Void

        init(_ body: @escaping @Sendable () -> Void) {
            self.body = body
        }
    }

    /// Resumes its continuation once: with the work's result or the timer's failure,
    /// whichever comes first.
    private final class SingleAnswer<T: Sendable>: Sendable {
        private let continuation: Mutex<CheckedContinuation<Result<T, Failure>, Never>?>

        init(_ continuation: CheckedContinuation<Result<T, Failure>, Never>) {
            self.continuation = Mutex(continuation)
        }

        func give(_ result: Result<T, Failure>) {
            continuation.withLock { waiting in
                defer { waiting = nil }
                return waiting
            }?.resume(returning: result)
        }
    }
}
