import CLinux
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Ends a pid target's run when its process exits (docs/targets-and-analyses.md, "Targets"). The program
/// filters by pid; once the process is gone the kernel may give its pid to any other
/// process, which the filter would then trace under the target's label. So the run
/// ends with the process rather than outlive it.
///
/// How: a pidfd (`pidfd_open`), which refers to that very process and becomes readable
/// when it exits, polled on a thread of its own beside a pipe that `stop()` writes to. A pid
/// already given to another process between the start's resolution and the watch (its
/// start time differs from the one resolved) counts as the target's exit. The process is
/// looked up in the endpoint's own pid namespace, as bpftrace's `/proc/<pid>/root` probe
/// paths are.
final class TargetProcessWatch: Sendable {
    let pid: Int32
    /// The pipe's write end; a byte written wakes the thread, which closes the rest.
    private let wakeWrite: Mutex<Int32>

    /// Starts watching `pid` (whose start time was `startTime` at resolution; nil: not
    /// known, only its exit counts). `exited` runs once, on the watch's thread, when the
    /// process is gone; `unwatchable` instead when it cannot be watched (no pidfd on the
    /// kernel, no descriptor left). Throws when not even the pipe can be made.
    init(
        pid: Int32,
        startTime: Int64?,
        exited: @escaping @Sendable () -> Void,
        unwatchable: @escaping @Sendable (String) -> Void
    ) throws(Failure) {
        var fds: [Int32] = [-1, -1]
        guard ChildProcess.closeOnExecPipe(&fds) else {
            for fd in fds where fd >= 0 { close(fd) }
            throw Failure(description: "cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        self.pid = pid
        self.wakeWrite = Mutex(fds[1])
        let wakeRead = fds[0]
        ChildProcess.startThread(name: "target-pid-\(pid)") {
            defer { close(wakeRead) }
            let pidfd = clinux_pidfd_open(pid)
            guard pidfd >= 0 else {
                errno == ESRCH ? exited() : unwatchable("pidfd_open(\(pid)): \(String(cString: strerror(errno)))")
                return
            }
            defer { close(pidfd) }
            // Opened after the resolution: the pid may name a later process by now.
            if let startTime, ProcessIdentity.startTime(of: pid) != startTime {
                exited()
                return
            }
            if Self.waitForExit(pidfd: pidfd, wake: wakeRead) { exited() }
        }
    }

    /// True when the process exited, false when `stop()` woke the wait first.
    private static func waitForExit(pidfd: Int32, wake: Int32) -> Bool {
        var fds = [pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
        while true {
            if poll(&fds, 2, -1) >= 0 { break }
            if errno != EINTR { return false }
        }
        return fds[0].revents != 0 && fds[1].revents == 0
    }

    /// Ends the watch (the run ended otherwise); idempotent.
    func stop() {
        wakeWrite.withLock { fd in
            guard fd >= 0 else { return }
            var byte: UInt8 = 1
            _ = write(fd, &byte, 1)
            close(fd)
            fd = -1
        }
    }

    deinit { stop() }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }
}
