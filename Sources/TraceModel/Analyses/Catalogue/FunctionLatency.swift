extension Analysis {
    /// A uprobe and a uretprobe on one function, timed per thread. The function is named
    /// only in the probes, never as a string literal (bpftrace 0.17 refuses literals of
    /// 64 bytes or more; mangled names are often longer). A recursive call restarts the
    /// thread's clock: the histogram then holds the innermost calls.
    public static let functionLatency = Analysis(
        name: "function-latency",
        description: "Latency histogram of one function of a binary, printed every interval.",
        parameters: [
            AnalysisParameter(
                name: "process",
                kind: .string(.processPath),
                description: "The binary, as a template's process: an absolute path to an ELF file."
            ),
            AnalysisParameter(
                name: "function",
                kind: .string(.functionName),
                description: "The function, as one of a template's functions; it must be defined in the binary."
            ),
            .interval,
            AnalysisParameter(
                name: "per-process",
                kind: .boolean(default: false),
                description: "One histogram per process (pid, comm) instead of one for all."
            ),
        ],
        output: """
            every interval ["interval", nsecs] then {"type": "hist", "data": {"@latency_ns": [{"min", "max", "count"}, \
            ...]}}: entry-to-return time in nanoseconds of the calls that returned since the last print; with per-process \
            the histograms are keyed "PID,COMM" ({"@latency_ns": {"PID,COMM": [...]}}); at the end ["end", nsecs] and the \
            last histograms.
            """,
        requirements: AnalysisRequirements(uprobes: true),
        program: { values, _ in
            let probe = "\(values.text("process")):\(values.text("function"))"
            let map = values.flag("per-process") ? "@latency_ns[pid, comm]" : "@latency_ns"
            return AnalysisProgram(
                probes: [
                    .init("uprobe:\(probe)", "@latency_start[tid] = nsecs;"),
                    .init(
                        "uretprobe:\(probe)",
                        when: "@latency_start[tid] != 0",
                        scoped: false,
                        "\(map) = hist(nsecs - @latency_start[tid]); delete(@latency_start[tid]);"
                    ),
                ],
                reports: [.init("@latency_ns")],
                intervalSeconds: values.integer("interval"),
                scratchMaps: ["@latency_start"]
            )
        }
    )
}
