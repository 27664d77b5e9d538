#if canImport(Glibc)
import Glibc
#endif

/// Signal handling a process inherits across exec from whoever started it, put right
/// before the endpoint does anything else (threads made later inherit the mask set here).
enum InheritedSignals {
    static func reset() {
        // SIGCHLD ignored makes the kernel reap children by itself: `waitpid` then waits
        // for every child and fails with ECHILD, so no run's exit status could be read
        // (seen: an endpoint started by `env --ignore-signal=CHLD` reported bpftrace's
        // clean exit as 137).
        _ = signal(SIGCHLD, SIG_DFL)
        // A write to a pipe or socket whose reader is gone (sudo exiting before it reads
        // its password, a platform closing its end) must fail with EPIPE, not kill the
        // daemon. NIO ignores SIGPIPE too, but only once it opens its first socket.
        _ = signal(SIGPIPE, SIG_IGN)
        // Nothing the endpoint runs needs a signal blocked, and tracers get an empty mask
        // of their own. SIGINT and SIGTERM need no reset: service-lifecycle's dispatch
        // sources install their own handlers, and an endpoint started with both ignored
        // and blocked (`env --ignore-signal=TERM --block-signal=TERM`) still stops on
        // SIGTERM with status 0 (checked by ExitStatusTests).
        var nothingBlocked = sigset_t()
        sigemptyset(&nothingBlocked)
        sigprocmask(SIG_SETMASK, &nothingBlocked, nil)
    }
}
