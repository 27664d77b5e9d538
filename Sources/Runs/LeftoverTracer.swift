import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A tracer recorded by the endpoint's previous life whose exit was never seen (the
/// endpoint was SIGKILLed or crashed). Most end by themselves: their next `alive` line
/// meets a closed pipe. One that ignores SIGPIPE, or a restart quicker than the next
/// line, would go on as root for the rest of its `lasting`: it is stopped, SIGTERM then
/// SIGKILL, but only if the pid still names the same process (its start time matches,
/// in the same boot): a pid reused by an unrelated process is left alone.
struct LeftoverTracer {
    let pid: Int32
    let startTime: Int64?
    /// The boot the tracer was started in. A start time counts clock ticks from boot, so
    /// after a reboot the same (pid, start time) can name an unrelated process. Nil for
    /// a run recorded before the boot id was (database v9): judged by start time alone,
    /// as it was then.
    let bootID: String?
    /// Run directly as root: the tracer leads its own process group (helpers included).
    /// Through sudo only sudo can be signalled; it relays SIGTERM to the tracer.
    let wholeGroup: Bool

    var isStillRunning: Bool {
        guard pid > 1, let startTime else { return false }
        // This boot's id unreadable: the boots cannot be told apart, so nothing is signalled.
        if let bootID, bootID != ProcessIdentity.bootID { return false }
        return ProcessIdentity.startTime(of: pid) == startTime
    }

    func stop(grace: Duration, logger: Logger) {
        guard isStillRunning else { return }
        logger.notice("Stopping a tracer of the endpoint's previous life", metadata: ["trace.pid": "\(pid)"])
        send(SIGTERM)
        Task {
            try? await Task.sleep(for: grace)
            if isStillRunning { send(SIGKILL) }
        }
    }

    private func send(_ signal: Int32) {
        if wholeGroup { kill(-pid, signal) }
        kill(pid, signal)
    }
}
