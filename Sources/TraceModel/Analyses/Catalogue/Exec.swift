extension Analysis {
    /// `sched:sched_process_exec` fires once per successful execve, in the new program:
    /// `comm` is already the new command's. The parent is read from `curtask`, which
    /// needs the kernel's BTF (no kernel headers here).
    public static let exec = Analysis(
        name: "exec",
        description: "Every new program started: pid, parent pid, command and file name.",
        parameters: [],
        output: """
            ["exec", nsecs, pid, ppid, comm, filename] for each successful exec (filename as the exec call named it, \
            at most 64 bytes, bpftrace's string length); ["end", nsecs] at the end.
            """,
        requirements: AnalysisRequirements(tracepoints: [Tracepoint("sched", "sched_process_exec")], kernelBTF: true),
        program: { _, scope in
            AnalysisProgram(probes: [
                .init(
                    "tracepoint:sched:sched_process_exec",
                    "print((\"exec\", nsecs, pid, curtask->real_parent->tgid, comm, str(args->filename)\(scope.eventSuffix)));"
                )
            ])
        }
    )
}
