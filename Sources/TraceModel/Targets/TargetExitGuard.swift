/// Keeps a pid filter on the processes it was made for (docs/targets-and-analyses.md, "Targets", "A pid target
/// ends with its process"). `pid == N` holds for whichever process has pid N: once the
/// target has exited, the kernel may give N to an unrelated process, which the filter
/// would then trace under the target's label. The endpoint ends a pid target's run when
/// its process exits (`TargetProcessWatch`), but bpftrace detaches its probes only after
/// its SIGINT, tens of milliseconds later: a busy bash given the pid at once had 1,800
/// to 4,600 events traced meanwhile. So the program marks, in the kernel and at the exit
/// itself, each filtered pid whose process has exited, and the filter requires the mark
/// unset: from the exit on nothing under that pid is kept, whoever gets it.
///
/// The mark is set by `tracepoint:sched:sched_process_exit` when the exiting task is the
/// process's last live thread (`curtask->signal->live.counter == 0`: `do_exit` decrements
/// it before this tracepoint, in old kernels as in new; the tracepoint's own `group_dead`
/// field exists only in recent ones). Not at the main thread's exit (`tid == pid`): a
/// thread other than the main one that calls execve makes the main thread exit and takes
/// over its pid, and a main thread may end before the others; in both the process lives
/// on. The pid is freed only when the process is reaped, after this tracepoint, so no
/// later process can hold it before the mark is set. Reading `curtask` needs the kernel's
/// BTF (bpftrace 0.17 reads it from `/sys/kernel/btf/vmlinux`).
///
/// The exit probe keeps to the filtered pids, so `@lambda_exited` holds at most one entry
/// per pid of the filter (`TargetResolver.maxFilterValues`, bpftrace's default map size).
/// END clears it unprinted, as the rate bound's maps. The exit probe is the program's
/// bookkeeping, not an event: it does not count against the rate bound.
public struct TargetExitGuard: Sendable, Equatable {
    /// The filtered pids, ascending, at least one.
    public let pids: [UInt64]

    /// nil for no pids (a filter that keeps nothing needs no guard).
    public init?(pids: [UInt64]) {
        guard !pids.isEmpty else { return nil }
        self.pids = Array(Set(pids)).sorted()
    }

    /// `pid == 12 || pid == 34`: any of the filtered pids, whichever process holds it now.
    public var anyPid: String { pids.map { "pid == \($0)" }.joined(separator: " || ") }

    /// The filter that keeps the filtered processes until they exit.
    public var filter: String { "(\(anyPid)) && @lambda_exited[pid] == 0" }

    /// The probe that marks a filtered pid whose process exited; attached before the event
    /// probes, so that no event can fire before it is there.
    public var exitProbe: (attachTo: String, predicate: String, action: String) {
        ("tracepoint:sched:sched_process_exit", "(\(anyPid)) && curtask->signal->live.counter == 0", "@lambda_exited[pid] = 1;")
    }

    /// What END does, so that bpftrace does not print the marks at exit.
    public static let endStatements = ["clear(@lambda_exited);"]
}
