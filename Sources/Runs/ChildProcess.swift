import CLinux
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A spawned tracer (or sudo) with its three pipes.
///
/// - Spawned by `posix_spawn` with an empty signal mask and default dispositions:
///   a child that inherited the endpoint's blocked SIGINT/SIGTERM could not be stopped.
/// - In a process group of its own, so a terminal's or a service manager's signals
///   to the endpoint's group do not hit it behind the supervisor's back.
/// - Standard output and standard error are drained on two threads of their own with
///   blocking reads (256 KiB blocks from stdout), so neither pipe can fill up and stall
///   the tracer. Stdout is read in batches (`drain`'s `batchWindow`).
/// - It holds no descriptor of the endpoint's but those three pipes.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let exitCode = Mutex<Int32?>(nil)

    public struct SpawnError: Error, CustomStringConvertible {
        public let executable: String
        public let code: Int32
        public var description: String { "cannot start \(executable): \(String(cString: strerror(code)))" }
    }

    /// Starts the child. `onOutput` gets each block of stdout, `onError` each block of
    /// stderr, both on their reader threads; `onExit` the exit code (128 + signal for a
    /// signal; -1, with the reason on stderr, if it cannot be read) after stdout has
    /// reached end of file and the child has been reaped. `outputBatchWindow`: how long
    /// a short read of stdout waits for more before `onOutput` (see `drain`).
    public init(
        executable: String,
        arguments: [String],
        environment: [String: String],
        standardInput: [UInt8],
        outputBatchWindow: Duration = .zero,
        onOutput: @escaping @Sendable (UnsafeRawBufferPointer) -> Void,
        onError: @escaping @Sendable (UnsafeRawBufferPointer) -> Void,
        onExit: @escaping @Sendable (Int32) -> Void
    ) throws(SpawnError) {
        var input: [Int32] = [-1, -1]
        var output: [Int32] = [-1, -1]
        var error: [Int32] = [-1, -1]
        guard Self.closeOnExecPipe(&input), Self.closeOnExecPipe(&output), Self.closeOnExecPipe(&error) else {
            let code = errno
            for fd in input + output + error where fd >= 0 { close(fd) }
            throw SpawnError(executable: executable, code: code)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the targets; then every other descriptor is
        // closed in the child. Close-on-exec alone is not enough: SwiftNIO accepts
        // connections and makes its epoll descriptors without it, so a tracer inherited
        // the listening socket and every open client connection (a connection the
        // endpoint closed stayed open for the client while the tracer lived, and a
        // tracer that outlived the endpoint held its port).
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, error[1], 2)
        let closing = clinux_spawn_close_from(&actions, 3)
        guard closing == 0 else {
            for fd in input + output + error { close(fd) }
            throw SpawnError(executable: executable, code: closing)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(input[0])
        close(output[1])
        close(error[1])
        guard result == 0 else {
            close(input[1])
            close(output[0])
            close(error[0])
            throw SpawnError(executable: executable, code: result)
        }
        self.pid = pid

        // The password for sudo -S is a line; the pipe holds 64 KiB, so this cannot block.
        if !standardInput.isEmpty {
            standardInput.withUnsafeBytes { bytes in _ = write(input[1], bytes.baseAddress, bytes.count) }
        }
        close(input[1])

        Self.enlargeOutputPipe(output[0])
        let errorFD = error[0]
        let outputFD = output[0]
        let childPID = pid
        let stderrDone = DispatchSemaphore(value: 0)
        Self.startThread(name: "tracer-stderr-\(childPID)") {
            Self.drain(errorFD, capacity: 64 * 1024, into: onError)
            close(errorFD)
            stderrDone.signal()
        }
        Self.startThread(name: "tracer-stdout-\(childPID)") { [self] in
            Self.drain(outputFD, capacity: Self.outputReadSize, batchWindow: outputBatchWindow, into: onOutput)
            close(outputFD)
            // The finished message carries all of stderr: let its reader catch up, but
            // not forever (a grandchild could hold the pipe open).
            _ = stderrDone.wait(timeout: .now() + 5)
            let (code, unreadable) = Self.reap(childPID)
            if let unreadable {
                Array("\nlambda-endpoint: \(unreadable)\n".utf8).withUnsafeBytes { onError($0) }
            }
            exitCode.withLock { $0 = code }
            onExit(code)
        }
    }

    /// The exit code once the child has been reaped.
    public var exitStatus: Int32? { exitCode.withLock { $0 } }

    /// Sends `signal` to the child itself (sudo relays SIGINT and SIGTERM to the tracer).
    public func send(_ signal: Int32) {
        guard exitStatus == nil else { return }
        kill(pid, signal)
    }

    /// Sends `signal` to the child's whole process group.
    public func sendToGroup(_ signal: Int32) {
        guard exitStatus == nil else { return }
        kill(-pid, signal)
    }

    /// A pipe whose ends are not inherited by other children. (Glibc's `pipe2` is not
    /// visible to Swift; spawns are serialised by the supervisor, so the window between
    /// `pipe` and `fcntl` is not raced by our own spawns.)
    static func closeOnExecPipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        return fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0 && fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0
    }

    /// Bytes asked for per read of the tracer's stdout. With the enlarged pipe a busy
    /// tracer's output arrives in blocks this large: a sixteenth of the reads, file writes
    /// and wake-ups of 64 KiB blocks. Allocated per run; a quiet run touches one page.
    static let outputReadSize = 256 * 1024

    /// `F_SETPIPE_SZ` (not exported to Swift): a 1 MiB stdout pipe lets a tracer write
    /// ahead while the reader is between reads. Only as root: an unprivileged user's pipe
    /// pages count against `pipe-user-pages-soft` (64 MiB), and past it Linux gives that
    /// user's new pipes a single page, which would slow every later run. Failure leaves
    /// the default 64 KiB.
    static func enlargeOutputPipe(_ fd: Int32) {
        let setPipeSize: Int32 = 1031
        if geteuid() == 0 { _ = fcntl(fd, setPipeSize, 1 << 20) }
    }

    /// Reads `fd` to end of file, handing `handler` blocks of up to `capacity` bytes.
    ///
    /// With a `batchWindow`, a short read is followed by a pause that long for the pipe
    /// to fill, then by whatever arrived meanwhile, in one block. bpftrace writes each
    /// event line with a `write` of its own, so without it every read returned about one
    /// line and paid the whole path behind `handler` (a file write, a wake-up of the
    /// delivery) per line: at 13 MB/s of lines the endpoint used 0.74 × bpftrace's own
    /// CPU. A window adds at most itself to an event's latency; a pipe that fills up
    /// during it (1 MiB as root, 64 KiB through sudo) is read at once, unchanged.
    static func drain(_ fd: Int32, capacity: Int, batchWindow: Duration = .zero, into handler: @Sendable (UnsafeRawBufferPointer) -> Void) {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        let pause = timespec(tv_sec: Int(batchWindow.components.seconds), tv_nsec: Int(batchWindow.components.attoseconds / 1_000_000_000))
        while true {
            var filled = readRetryingInterrupts(fd, buffer, capacity)
            guard filled > 0 else { return }
            var ended = false
            if batchWindow > .zero, filled < capacity {
                var asked = pause
                var left = timespec()
                while nanosleep(&asked, &left) != 0, errno == EINTR { asked = left }
                while filled < capacity, isReadable(fd) {
                    let more = readRetryingInterrupts(fd, buffer + filled, capacity - filled)
                    guard more > 0 else {
                        ended = true
                        break
                    }
                    filled += more
                }
            }
            handler(UnsafeRawBufferPointer(start: buffer, count: filled))
            if ended { return }
        }
    }

    /// `read`, again after EINTR; 0 at end of file, -1 on another error.
    private static func readRetryingInterrupts(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        while true {
            let result = read(fd, buffer, count)
            if result >= 0 || errno != EINTR { return result }
        }
    }

    /// True when a read of `fd` would not block: bytes are waiting, or the writer is
    /// gone (the read then returns end of file).
    private static func isReadable(_ fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) == 1 && entry.revents != 0
    }

    /// The child's exit code (128 + signal for a signal). When `waitpid` fails (ECHILD
    /// when something made the kernel reap the child itself) the status is unknown:
    /// `TraceRun.unknownExitCode`, as for a run resumed after a restart, with the reason,
    /// never a made-up code such as a SIGKILL's 137.
    static func reap(_ pid: pid_t) -> (code: Int32, unreadable: String?) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR {
                return (TraceRun.unknownExitCode, "cannot read the tracer's exit status: \(String(cString: strerror(errno)))")
            }
        }
        let signal = status & 0x7F
        return (signal == 0 ? (status >> 8) & 0xFF : 128 + signal, nil)
    }

    static func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.stackSize = 256 * 1024
        thread.start()
    }
}
