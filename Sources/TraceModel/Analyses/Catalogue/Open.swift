extension Analysis {
    /// openat(2) is what glibc's open() and fopen() call; the path is read at the exit
    /// from the pointer saved at the entry, as bpftrace's opensnoop does (the kernel has
    /// read it by then, so it is paged in).
    public static let open = Analysis(
        name: "open",
        description: "File opens (openat): pid, command, path, flags and result.",
        parameters: [
            AnalysisParameter(name: "failed-only", kind: .boolean(default: false), description: "Print only the opens that failed (result < 0).")
        ],
        output: """
            ["open", nsecs, pid, tid, comm, path, flags, result] for each openat(2) that returns: flags are the \
            O_* bits as passed, result the file descriptor or -errno; path at most 64 bytes; ["end", nsecs] at the end.
            """,
        requirements: AnalysisRequirements(tracepoints: [Tracepoint("syscalls", "sys_enter_openat"), Tracepoint("syscalls", "sys_exit_openat")]),
        program: { values, scope in
            let event = "print((\"open\", nsecs, pid, tid, comm, str(@open_path[tid]), @open_flags[tid], args->ret\(scope.eventSuffix)));"
            let report = values.flag("failed-only") ? "if (args->ret < 0) { \(event) }" : event
            return AnalysisProgram(
                probes: [
                    .init("tracepoint:syscalls:sys_enter_openat", "@open_path[tid] = args->filename; @open_flags[tid] = args->flags;"),
                    .init(
                        "tracepoint:syscalls:sys_exit_openat",
                        when: "@open_path[tid] != 0",
                        scoped: false,
                        "\(report) delete(@open_path[tid]); delete(@open_flags[tid]);"
                    ),
                ],
                scratchMaps: ["@open_path", "@open_flags"]
            )
        }
    )
}
