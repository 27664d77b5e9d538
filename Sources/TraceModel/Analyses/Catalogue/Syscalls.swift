import Foundation

extension Analysis {
    /// `raw_syscalls:sys_enter` fires for every system call of every task: one map
    /// update each (a hash lookup and an atomic add). bpftrace 0.17 has no name for a
    /// syscall number, and attaching the 363 `syscalls:sys_enter_*` tracepoints to key by
    /// name took 35 s here; so the map holds numbers and the stream says whose they are.
    public static let syscalls = Analysis(
        name: "syscalls",
        description: "System calls counted by process and system call, printed every interval.",
        parameters: [.interval, .top("(process, system call) pairs")],
        output: """
            ["architecture", machine] once after ready (syscall numbers are this architecture's, e.g. x86_64); \
            every interval ["interval", nsecs] then {"type": "map", "data": {"@syscalls": {"PID,NR,COMM": count}}}: \
            calls since the last print by process id, system call number and command name (split the key at its first \
            two commas: comm may hold commas); at the end ["end", nsecs] and the last counts.
            """,
        requirements: AnalysisRequirements(tracepoints: [Tracepoint("raw_syscalls", "sys_enter")]),
        program: { values, _ in
            AnalysisProgram(
                setup: ["print((\"architecture\", \"\(machineArchitecture)\"));"],
                probes: [.init("tracepoint:raw_syscalls:sys_enter", "@syscalls[pid, args->id, comm] = count();")],
                reports: [.init("@syscalls", top: values.integer("top"))],
                intervalSeconds: values.integer("interval")
            )
        }
    )

    /// `uname -m`, the architecture whose syscall numbers the kernel uses; "unknown"
    /// for anything but a short name of `[a-z0-9_]` (it becomes a string literal).
    static let machineArchitecture: String = {
        var names = utsname()
        guard uname(&names) == 0 else { return "unknown" }
        let machine = withUnsafeBytes(of: &names.machine) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        let plain = machine.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_")
        }
        return plain && (1...32).contains(machine.utf8.count) ? machine : "unknown"
    }()
}
