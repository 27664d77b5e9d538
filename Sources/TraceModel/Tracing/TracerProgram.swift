/// Turns a validated template into the text of a tracer program.
///
/// Every line the tracer prints is one JSON object (NDJSON). For BPF, bpftrace's
/// `-f json` mode writes each `print` of a tuple as `{"type": "value", "data": [...]}`
/// and escapes every string itself (a traced process chooses its own `comm`, so
/// hand-made JSON from `printf` could be broken by it). Its own notices come out as
/// `{"type": "attached_probes", ...}` and `{"type": "lost_events", ...}`.
///
/// Event tuples, positional:
/// - `["ready", nsecs]`: the probes are attached and live (printed by BEGIN).
/// - `["entry", function, probe, pid, tid, comm, cpu, nsecs]`
/// - `["return", function, probe, pid, tid, comm, cpu, nsecs, retval]`
/// - `function` is the template's name of the function, except for a name of 64 bytes
///   or more, which bpftrace 0.17 cannot hold as a string literal: there it is the probe
///   again (`uprobe:PATH:NAME`), whose text after the last `:` is the name.
/// - A targeted run's `entry` and `return` tuples end with one more element: `cgroup`,
///   the cgroup v2 id of the process's own cgroup. The endpoint inserts
///   `["target", kind, id, name, cgroupId]` lines after `ready` (`TargetStreamLines`).
/// - `["alive", nsecs]`: every `aliveIntervalSeconds`, whatever the probes do. A tracer
///   whose endpoint died (SIGKILL, the OOM killer) has nobody reading its stdout: its
///   next write ends it with SIGPIPE, as root and through sudo alike. Without the line
///   a tracer whose probes never fire would live on, as root, for the rest of its
///   `lasting` (a day by default). About 30 bytes every 2 s. (PR_SET_PDEATHSIG is no
///   substitute: it fires when the spawning *thread* exits, and Swift's pool threads
///   come and go; through sudo it would not reach the tracer anyway.)
///
/// `lasting` is also enforced inside the program (`interval:s:N { exit(); }` and
/// `timer.s(N) { exit() }`), so a tracer outlives neither its time nor an endpoint that
/// died without stopping it. Only validated values reach this text: process paths are
/// `[A-Za-z0-9/._+-]`, function names `[A-Za-z_][A-Za-z0-9_.$]*`. With a rate bound,
/// every probe counts its fires before its filter (`EventRateBound`). A pid filter keeps
/// to its processes until they exit, not to later ones given their pids (`TargetExitGuard`).
public enum TracerProgram {
    /// Seconds between two `alive` lines: how long a tracer may outlive its endpoint.
    public static let aliveIntervalSeconds = 2

    /// `target`: a targeted run (BPF only: a start refuses STAP with a target). Its probes
    /// name each distinct file of the target (`/proc/<pid>/root/...`), each probe keeps to
    /// the target's cgroup ids or pids, and every event tuple ends with `cgroup`.
    /// `rateBound`: the run's event-rate bound (bpftrace only; nil: none, as in the golden
    /// texts of the tests).
    public static func text(
        for template: TraceTemplate,
        tracer: TracerType,
        lastingSeconds: Int,
        target: ResolvedTarget? = nil,
        rateBound: EventRateBound? = nil
    ) -> String {
        switch tracer {
        case .bpf:
            return bpftrace(
                process: template.process,
                functions: template.functions,
                lastingSeconds: lastingSeconds,
                target: target,
                rateBound: rateBound
            )
        case .stap: return systemTap(process: template.process, functions: template.functions, lastingSeconds: lastingSeconds)
        }
    }

    public static func bpftrace(
        process: String,
        functions: [String],
        lastingSeconds: Int,
        target: ResolvedTarget? = nil,
        rateBound: EventRateBound? = nil
    ) -> String {
        bpftraceProbes(process: process, functions: functions, lastingSeconds: lastingSeconds, target: target, rateBound: rateBound)
            .map { "\($0.probe) \($0.predicate.map { "/\($0)/ " } ?? ""){ \($0.action) }" }.joined(separator: "\n") + "\n"
    }

    /// The probes of a run's program, as bpftrace counts them in its `attached_probes`
    /// notice (every block, BEGIN and the intervals included); nil for SystemTap, which
    /// reports no count. bpftrace drops a uprobe it cannot attach without failing, when
    /// others do attach: fewer attached than these is how the endpoint notices.
    public static func probes(
        for template: TraceTemplate,
        tracer: TracerType,
        lastingSeconds: Int,
        target: ResolvedTarget? = nil,
        rateBound: EventRateBound? = nil
    ) -> [String]? {
        guard tracer == .bpf else { return nil }
        return bpftraceProbes(
            process: template.process,
            functions: template.functions,
            lastingSeconds: lastingSeconds,
            target: target,
            rateBound: rateBound
        )
        .map(\.probe)
    }

    typealias Probe = (probe: String, predicate: String?, action: String)

    static func bpftraceProbes(
        process: String,
        functions: [String],
        lastingSeconds: Int,
        target: ResolvedTarget? = nil,
        rateBound: EventRateBound? = nil
    ) -> [Probe] {
        var probes: [Probe] = [("BEGIN", nil, "print((\"ready\", nsecs));")]
        let exitGuard = target?.exitGuard
        if let exit = exitGuard?.exitProbe { probes.append((exit.attachTo, exit.predicate, exit.action)) }
        // Untargeted: the template's path on the host, no predicate, tuples as they always were.
        let files = target.map { $0.files.map(\.path) } ?? [process]
        let filter = target.map(predicate(for:))
        let cgroup = target == nil ? "" : ", cgroup"
        for file in files {
            for function in functions {
                let name = functionElement(function)
                for (kind, tuple) in [
                    ("uprobe", "(\"entry\", \(name), probe, pid, tid, comm, cpu, nsecs\(cgroup))"),
                    ("uretprobe", "(\"return\", \(name), probe, pid, tid, comm, cpu, nsecs, retval\(cgroup))"),
                ] {
                    let attachTo = "\(kind):\(file):\(function)"
                    // With a rate bound every fire counts, the filter only decides the print
                    // (`EventRateBound`); without one the filter stays bpftrace's predicate.
                    if let rateBound {
                        probes.append((attachTo, nil, rateBound.countThenFilter(filter, "print(\(tuple));")))
                    } else {
                        probes.append((attachTo, filter, "print(\(tuple));"))
                    }
                }
            }
        }
        probes.append(("interval:s:\(aliveIntervalSeconds)", nil, "print((\"alive\", nsecs));"))
        probes.append(("interval:s:\(lastingSeconds)", nil, "exit();"))
        if let rateBound { probes.append((rateBound.checkProbe.attachTo, nil, rateBound.checkProbe.action)) }
        let end = (exitGuard == nil ? [] : TargetExitGuard.endStatements) + (rateBound == nil ? [] : EventRateBound.endStatements)
        if !end.isEmpty { probes.append(("END", nil, end.joined(separator: " "))) }
        return probes
    }

    /// The longest string literal bpftrace 0.17 accepts (`String is too long (over 64
    /// bytes)` from 64 on, whatever `BPFTRACE_STRLEN`).
    public static let maxStringLiteralBytes = 63

    /// An event's `function` element: the name as a string literal, or, for a name longer
    /// than bpftrace can hold as one (C++ and Rust symbols often are), the `probe` builtin,
    /// which bpftrace resolves in its own memory and prints whole: the probe's name, which
    /// ends with `:` and the function (function names never hold a `:`).
    static func functionElement(_ function: String) -> String {
        function.utf8.count <= maxStringLiteralBytes ? "\"\(function)\"" : "probe"
    }

    /// `cgroup == 82 || cgroup == 101`, or `(pid == 1234 || ...) && @lambda_exited[pid] == 0`:
    /// the target's processes (pids until their processes exit, `TargetExitGuard`).
    /// bpftrace's `cgroup` is the id of a process's own cgroup, not of an ancestor, so a
    /// container is every id of its subtree.
    static func predicate(for target: ResolvedTarget) -> String {
        if let exitGuard = target.exitGuard { return exitGuard.filter }
        let variable = target.filter == .cgroup ? "cgroup" : "pid"
        return target.filterValues.map { "\(variable) == \($0)" }.joined(separator: " || ")
    }

    /// SystemTap has no JSON mode: the program prints the same shape as bpftrace's
    /// `-f json` by hand. `execname()` goes through `string_quoted`, which escapes `"`
    /// and `\` (other control bytes come out as C octal escapes).
    public static func systemTap(process: String, functions: [String], lastingSeconds: Int) -> String {
        var lines = ["probe begin { printf(\"{\\\"type\\\": \\\"value\\\", \\\"data\\\": [\\\"ready\\\",%d]}\\n\", gettimeofday_ns()) }"]
        for function in functions {
            for (kind, suffix, extra, extraValue) in [("entry", "call", "", ""), ("return", "return", ",%d", ", returnval()")] {
                let probe = "process(\"\(process)\").function(\"\(function)\").\(suffix)"
                let probeJSON = probe.replacingOccurrences(of: "\"", with: "\\\\\\\"")
                lines.append(
                    "probe \(probe) { printf(\"{\\\"type\\\": \\\"value\\\", \\\"data\\\": [\\\"\(kind)\\\",\\\"\(function)\\\",\\\"\(probeJSON)\\\",%d,%d,%s,%d,%d\(extra)]}\\n\", pid(), tid(), string_quoted(execname()), cpu(), gettimeofday_ns()\(extraValue)) }"
                )
            }
        }
        lines.append(
            "probe timer.s(\(aliveIntervalSeconds)) { printf(\"{\\\"type\\\": \\\"value\\\", \\\"data\\\": [\\\"alive\\\",%d]}\\n\", gettimeofday_ns()) }"
        )
        lines.append("probe timer.s(\(lastingSeconds)) { exit() }")
        return lines.joined(separator: "\n") + "\n"
    }
}
