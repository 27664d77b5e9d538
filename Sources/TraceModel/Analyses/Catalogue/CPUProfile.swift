extension Analysis {
    /// `profile:hz` opens one cpu-clock perf event per CPU and samples whatever runs there.
    /// Idle CPUs (pid 0) are left out: their samples say only that nothing ran.
    public static let cpuProfile = Analysis(
        name: "cpu-profile",
        description: "On-CPU user and kernel stacks sampled at a frequency, counted per interval.",
        parameters: [
            AnalysisParameter(
                name: "frequency",
                kind: .integer(default: 49, range: 1...1000),
                description: "Samples per second on each CPU (49 stays out of step with timers at 50 or 100 Hz)."
            ),
            .interval,
            .top("stacks"),
            .userStacks,
        ],
        output: """
            every interval ["interval", nsecs] then {"type": "map", "data": {"@cpu_samples": {"PID,USTACK,KSTACK,COMM": \
            count}}}: samples since the last print by process id, user stack (empty with user-stacks false), kernel stack \
            and command name. A stack is \
            empty or a newline, then one frame a line, each line ending in a newline; so after "PID," the user stack runs \
            to its first "\\n," (or is empty when the next character is a comma), the kernel stack likewise, and the rest is \
            comm. Frames are "symbol+offset", or the address where there is no symbol. At the end ["end", nsecs] and the \
            last counts.
            """,
        requirements: AnalysisRequirements(perfEventSampling: true),
        program: { values, _ in
            let userStack = values.flag("user-stacks") ? "ustack" : "\"\""
            return AnalysisProgram(
                probes: [
                    .init("profile:hz:\(values.integer("frequency"))", when: "pid != 0", "@cpu_samples[pid, \(userStack), kstack, comm] = count();")
                ],
                reports: [.init("@cpu_samples", top: values.integer("top"))],
                intervalSeconds: values.integer("interval")
            )
        }
    )
}
