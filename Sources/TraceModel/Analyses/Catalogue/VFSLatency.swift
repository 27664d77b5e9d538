extension Analysis {
    /// The VFS has no tracepoints for reads and writes: this needs kprobes on
    /// `vfs_read`/`vfs_write`, which some kernels lack (no `kprobe_events` in tracefs, no
    /// kprobe perf PMU). There it is listed as unavailable with that reason, never started.
    public static let vfsLatency = Analysis(
        name: "vfs-latency",
        description: "Latency histograms of VFS reads and writes (kprobes), printed every interval.",
        parameters: [.interval],
        output: """
            every interval ["interval", nsecs] then {"type": "hist", "data": {"@vfs_us": {"read"|"write": [{"min", "max", \
            "count"}, ...]}}}: vfs_read/vfs_write call-to-return time in microseconds of the calls that returned since the \
            last print; at the end ["end", nsecs] and the last histograms.
            """,
        requirements: AnalysisRequirements(kprobes: true),
        program: { values, _ in
            AnalysisProgram(
                probes: [
                    .init("kprobe:vfs_read, kprobe:vfs_write", "@vfs_start[tid] = nsecs;")
                ]
                    + ["read", "write"].map { operation in
                        .init(
                            "kretprobe:vfs_\(operation)",
                            when: "@vfs_start[tid] != 0",
                            scoped: false,
                            "@vfs_us[\"\(operation)\"] = hist((nsecs - @vfs_start[tid]) / 1000); delete(@vfs_start[tid]);"
                        )
                    },
                reports: [.init("@vfs_us")],
                intervalSeconds: values.integer("interval"),
                scratchMaps: ["@vfs_start"]
            )
        }
    )
}
