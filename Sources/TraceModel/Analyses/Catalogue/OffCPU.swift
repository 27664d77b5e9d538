extension Analysis {
    /// Without kprobes there is no `finish_task_switch` to read a woken task's stack in
    /// its own context (bpftrace's offcputime.bt); `sched:sched_switch` runs in the task
    /// being switched out, so its stacks are taken there, with the time, and kept by
    /// thread id until the thread is switched in again. Only tasks that block count:
    /// a preempted task (state R, `prev_state & 0xff` 0) is runnable, not blocked.
    /// sched_switch fires on every context switch (tens of thousands a second on a busy
    /// host), and each blocking one walks two stacks: the costliest analysis here.
    public static let offCPU = Analysis(
        name: "off-cpu",
        description: "Time threads spent blocked, by user and kernel stack, printed every interval.",
        parameters: [
            .interval,
            AnalysisParameter(
                name: "min-microseconds",
                kind: .integer(default: 1000, range: 0...60_000_000),
                description: "Leave out blocks shorter than this many microseconds."
            ),
            .top("stacks"),
            .userStacks,
        ],
        output: """
            every interval ["interval", nsecs] then {"type": "map", "data": {"@offcpu_us": {"PID,TID,USTACK,KSTACK,COMM": \
            microseconds}}}: blocked time that ended since the last print, by process and thread id, the user and kernel \
            stacks where the thread blocked (read as cpu-profile's: each empty or running to its first "\\n,"; the user \
            stack empty with user-stacks false) and command name; at the end ["end", nsecs] and the last sums.
            """,
        requirements: AnalysisRequirements(tracepoints: [Tracepoint("sched", "sched_switch")]),
        program: { values, _ in
            let minimum = values.integer("min-microseconds")
            // Without user stacks the key keeps its place, empty, and nothing is stored for it.
            let userStacks = values.flag("user-stacks")
            let kept = ["@offcpu_since", "@offcpu_pid", "@offcpu_kstack"] + (userStacks ? ["@offcpu_ustack"] : [])
            let userStack = userStacks ? "@offcpu_ustack[args->next_pid]" : "\"\""
            let key = "@offcpu_pid[args->next_pid], args->next_pid, \(userStack), @offcpu_kstack[args->next_pid], args->next_comm"
            return AnalysisProgram(
                probes: [
                    .init(
                        "tracepoint:sched:sched_switch",
                        when: "args->prev_pid != 0 && (args->prev_state & 0xff) != 0",
                        "@offcpu_since[args->prev_pid] = nsecs; @offcpu_pid[args->prev_pid] = pid; @offcpu_kstack[args->prev_pid] = kstack;"
                            + (userStacks ? " @offcpu_ustack[args->prev_pid] = ustack;" : "")
                    ),
                    .init(
                        "tracepoint:sched:sched_switch",
                        when: "@offcpu_since[args->next_pid] != 0",
                        scoped: false,
                        "$blocked = (nsecs - @offcpu_since[args->next_pid]) / 1000; "
                            + "if ($blocked >= \(minimum)) { @offcpu_us[\(key)] = sum($blocked); } "
                            + kept.map { "delete(\($0)[args->next_pid]);" }.joined(separator: " ")
                    ),
                ],
                reports: [.init("@offcpu_us", top: values.integer("top"))],
                intervalSeconds: values.integer("interval"),
                scratchMaps: kept
            )
        }
    )
}
