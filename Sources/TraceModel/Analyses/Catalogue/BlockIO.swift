extension Analysis {
    /// A request is matched from issue to completion by device and sector (what both
    /// tracepoints carry). Completion runs in interrupt context, so only the issue is
    /// filtered to a target; writeback issued by kernel threads belongs to no target.
    public static let blockIO = Analysis(
        name: "block-io",
        description: "Block I/O latency histograms by device and operation, printed every interval.",
        parameters: [.interval],
        output: """
            every interval ["interval", nsecs] then {"type": "hist", "data": {"@block_io_us": {"MAJOR,MINOR,RWBS": \
            [{"min", "max", "count"}, ...]}}}: issue-to-completion time in microseconds of the requests completed since \
            the last print, by device number and operation (rwbs: R read, W write, D discard, F flush, then S sync, M \
            metadata, A readahead...); at the end ["end", nsecs] and the last histograms.
            """,
        requirements: AnalysisRequirements(tracepoints: [Tracepoint("block", "block_rq_issue"), Tracepoint("block", "block_rq_complete")]),
        program: { values, _ in
            AnalysisProgram(
                probes: [
                    .init("tracepoint:block:block_rq_issue", "@block_issued[args->dev, args->sector] = nsecs;"),
                    .init(
                        "tracepoint:block:block_rq_complete",
                        when: "@block_issued[args->dev, args->sector] != 0",
                        scoped: false,
                        "@block_io_us[args->dev >> 20, args->dev & 0xfffff, args->rwbs] = hist((nsecs - @block_issued[args->dev, args->sector]) / 1000); "
                            + "delete(@block_issued[args->dev, args->sector]);"
                    ),
                ],
                reports: [.init("@block_io_us")],
                intervalSeconds: values.integer("interval"),
                scratchMaps: ["@block_issued"]
            )
        }
    )
}
