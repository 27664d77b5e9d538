import EndpointTestSupport
import Foundation
import Testing
import TraceModel

@Suite("Analysis programs from validated parameters")
struct AnalysisProgramTests {
    /// Every analysis with the parameters it needs (only function-latency has required ones).
    static func validated(_ name: String, _ parameters: [String: AnalysisParameterInput] = [:]) throws -> ValidatedAnalysis {
        var all = parameters
        if name == "function-latency", all.isEmpty { all = ["process": .string("/bin/bash"), "function": .string("xmalloc")] }
        return try AnalysisCatalogue.validated(name: name, parameters: all)
    }

    static let syscallsGolden = """
        BEGIN { print(("ready", nsecs)); print(("architecture", "x86_64")); }
        tracepoint:raw_syscalls:sys_enter { @syscalls[pid, args->id, comm] = count(); }
        interval:s:5 { print(("interval", nsecs)); print(@syscalls); clear(@syscalls); }
        interval:s:2 { print(("alive", nsecs)); }
        interval:s:30 { exit(); }
        END { print(("end", nsecs)); print(@syscalls); clear(@syscalls); }

        """

    static let functionLatencyGolden = """
        BEGIN { print(("ready", nsecs)); }
        uprobe:/bin/bash:xmalloc /(cgroup == 7 || cgroup == 9)/ { @latency_start[tid] = nsecs; }
        uretprobe:/bin/bash:xmalloc /(@latency_start[tid] != 0)/ { @latency_ns[pid, comm] = hist(nsecs - @latency_start[tid]); delete(@latency_start[tid]); }
        interval:s:10 { print(("interval", nsecs)); print(@latency_ns); clear(@latency_ns); }
        interval:s:2 { print(("alive", nsecs)); }
        interval:s:60 { exit(); }
        END { print(("end", nsecs)); print(@latency_ns); clear(@latency_ns); clear(@latency_start); }

        """

    @Test("syscalls with its defaults: golden text")
    func syscallsGoldenText() throws {
        #if arch(x86_64)
        #expect(try Self.validated("syscalls").programText(lastingSeconds: 30) == Self.syscallsGolden)
        #endif
    }

    @Test("function-latency, targeted and per process: golden text (the filter on the entry only, no string literal of the name)")
    func functionLatencyGoldenText() throws {
        let analysis = try Self.validated(
            "function-latency",
            ["process": .string("/bin/bash"), "function": .string("xmalloc"), "interval": .integer(10), "per-process": .boolean(true)]
        )
        #expect(analysis.programText(lastingSeconds: 60, scope: .cgroups([7, 9])) == Self.functionLatencyGolden)
    }

    @Test(
        "A targeted run's copies of the probed binary replace its host path in both probes; the probes as bpftrace counts them, one per file"
    )
    func probedFilesAndAttachPoints() throws {
        let analysis = try Self.validated("function-latency", ["process": .string("/bin/bash"), "function": .string("xmalloc")])
        let files = ["/proc/12/root/bin/bash", "/proc/34/root/usr/bin/bash"]
        let program = analysis.program(scope: .cgroups([7]), probedFiles: files)
        let text = program.text(lastingSeconds: 9, scope: .cgroups([7]))
        #expect(text.contains("\nuprobe:/proc/12/root/bin/bash:xmalloc, uprobe:/proc/34/root/usr/bin/bash:xmalloc /(cgroup == 7)/ {"))
        #expect(
            text.contains("\nuretprobe:/proc/12/root/bin/bash:xmalloc, uretprobe:/proc/34/root/usr/bin/bash:xmalloc /(@latency_start[tid] != 0)/ {")
        )
        #expect(!text.contains("probe:/bin/bash:"), "the host path is gone")
        #expect(
            program.attachPoints(lastingSeconds: 9, scope: .cgroups([7])) == [
                "BEGIN", "uprobe:/proc/12/root/bin/bash:xmalloc", "uprobe:/proc/34/root/usr/bin/bash:xmalloc",
                "uretprobe:/proc/12/root/bin/bash:xmalloc", "uretprobe:/proc/34/root/usr/bin/bash:xmalloc",
                "interval:s:5", "interval:s:2", "interval:s:9", "END",
            ]
        )
        // Untargeted: the text is the one `programText` gives.
        #expect(analysis.program(scope: .host).text(lastingSeconds: 9, scope: .host) == analysis.programText(lastingSeconds: 9))
        #expect(try Self.validated("syscalls").program(scope: .host, probedFiles: files) == Self.validated("syscalls").program(scope: .host))
    }

    @Test(
        "Every program keeps a template program's guarantees: ready first from BEGIN, alive, the lasting bound, END",
        arguments: AnalysisCatalogue.names
    )
    func guarantees(name: String) throws {
        let lines = try Self.validated(name).programText(lastingSeconds: 17).split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix(#"BEGIN { print(("ready", nsecs));"#) == true)
        #expect(lines.contains(#"interval:s:2 { print(("alive", nsecs)); }"#))
        #expect(lines.contains("interval:s:17 { exit(); }"))
        #expect(lines.last?.hasPrefix(#"END { print(("end", nsecs));"#) == true)
        #expect(lines.filter { $0.hasPrefix("BEGIN") || $0.hasPrefix("END") }.count == 2)
    }

    @Test("Every map a probe fills is printed or cleared at END, so bpftrace prints nothing unasked at exit", arguments: AnalysisCatalogue.names)
    func everyMapEnds(name: String) throws {
        let text = try Self.validated(name).programText(lastingSeconds: 5)
        let maps = Set(text.matches(of: /@[a-z_]+/).map { String($0.output) })
        let end = try #require(text.split(separator: "\n").last)
        for map in maps { #expect(end.contains("clear(\(map));"), "\(name): \(map)") }
    }

    @Test("bpftrace compiles every program, for the host and for a target (`-d` dry run: no probe attached)", arguments: AnalysisCatalogue.names)
    func bpftraceCompiles(name: String) throws {
        let analysis = try Self.validated(name)
        for scope in [AnalysisScope.host, .cgroups([1, 42]), .processes([1, 42])] {
            let (code, output) = try runCommand("/usr/bin/bpftrace", ["-d", "-e", analysis.programText(lastingSeconds: 5, scope: scope)])
            #expect(code == 0, "\(name) \(scope): \(output.suffix(1500))")
        }
        for scope in [AnalysisScope.host, .cgroups([1, 42]), .processes([1, 42])] {
            let bounded = analysis.program(scope: scope).text(
                lastingSeconds: 5,
                scope: scope,
                rateBound: EventRateBound(maxEventsPerSecond: 10, seconds: 2, windowSeconds: 10)
            )
            let (code, output) = try runCommand("/usr/bin/bpftrace", ["-d", "-e", bounded])
            // Warnings go to stderr, which is `finished`'s; kprobes are not traceable on this machine's kernel.
            let warnings = output.split(separator: "\n").filter { $0.contains("WARNING") && !$0.contains("is not traceable") }
            #expect(code == 0 && warnings.isEmpty, "\(name) \(scope) with a rate bound: \(warnings) \(output.suffix(1500))")
        }
    }

    @Test(
        "With a rate bound every probe of every analysis counts each fire first, then filters with `if` (no predicate is left to skip the count); the check is one more probe; END clears the bound's maps",
        arguments: AnalysisCatalogue.names
    )
    func rateBound(name: String) throws {
        let scope = AnalysisScope.cgroups([3])
        let program = try Self.validated(name).program(scope: scope)
        let bound = EventRateBound(maxEventsPerSecond: 10, seconds: 2, windowSeconds: 10)
        let lines = program.text(lastingSeconds: 5, scope: scope, rateBound: bound).split(separator: "\n").map(String.init)
        for probe in program.probes {
            let line = try #require(lines.first { $0.hasPrefix(probe.attachTo + " ") })
            #expect(line.hasPrefix("\(probe.attachTo) { \(bound.countStatement) "), "\(name): \(line)")
            if probe.scoped { #expect(line.contains(" if ((cgroup == 3)"), "\(name): \(line)") }
        }
        #expect(lines.contains("\(bound.checkProbe.attachTo) { \(bound.checkProbe.action) }"))
        #expect(
            lines.last?.hasPrefix("END {") == true
                && lines.last?.hasSuffix(" clear(@lambda_hits); clear(@lambda_events); clear(@lambda_window); clear(@lambda_over); }") == true
        )
        #expect(
            program.attachPoints(lastingSeconds: 5, scope: scope, rateBound: bound).count
                == program.attachPoints(lastingSeconds: 5, scope: scope).count + 1
        )
    }

    @Test("A target filters the probes that start a measurement and ends each event tuple with the cgroup id")
    func targetedEvents() throws {
        let exec = try Self.validated("exec").programText(lastingSeconds: 5, scope: .processes([12, 34]))
        #expect(
            exec.contains(
                #"tracepoint:sched:sched_process_exec /(pid == 12 || pid == 34) && @lambda_exited[pid] == 0/ { print(("exec", nsecs, pid, curtask->real_parent->tgid, comm, str(args->filename), cgroup)); }"#
            )
        )
        let execLines = exec.split(separator: "\n").map(String.init)
        #expect(
            execLines[1]
                == "tracepoint:sched:sched_process_exit /(pid == 12 || pid == 34) && curtask->signal->live.counter == 0/ { @lambda_exited[pid] = 1; }",
            "the pids' exits are marked, by a probe attached before the others (TargetExitGuard)"
        )
        #expect(execLines.last?.hasPrefix("END { ") == true && execLines.last?.hasSuffix(" clear(@lambda_exited); }") == true)
        #expect(
            try Self.validated("exec").program(scope: .processes([12])).attachPoints(lastingSeconds: 5, scope: .processes([12]))
                == ["BEGIN", "tracepoint:sched:sched_process_exit", "tracepoint:sched:sched_process_exec", "interval:s:2", "interval:s:5", "END"]
        )
        let open = try Self.validated("open").programText(lastingSeconds: 5, scope: .cgroups([3]))
        #expect(open.contains("tracepoint:syscalls:sys_enter_openat /(cgroup == 3)/ {"))
        #expect(open.contains("tracepoint:syscalls:sys_exit_openat /(@open_path[tid] != 0)/ {"), "the exit looks the entry up")
        #expect(open.contains("args->ret, cgroup));"))
        let offCPU = try Self.validated("off-cpu").programText(lastingSeconds: 5, scope: .cgroups([3]))
        #expect(offCPU.contains("tracepoint:sched:sched_switch /(cgroup == 3) && (args->prev_pid != 0 && (args->prev_state & 0xff) != 0)/"))
        #expect(!(try Self.validated("syscalls").programText(lastingSeconds: 5).contains("cgroup")), "the host needs no filter")
        #expect(!open.contains("lambda_exited"), "cgroup ids are not reused: no exit mark")
        #expect(!(try Self.validated("open").programText(lastingSeconds: 5).contains("lambda_exited")))
    }

    @Test("Parameters change the programs as documented")
    func parametersChangePrograms() throws {
        let ipv4 = try Self.validated("tcp", ["family": .string("ipv4")]).programText(lastingSeconds: 5)
        #expect(ipv4.components(separatedBy: "tracepoint:sock:inet_sock_set_state").count == 2)
        #expect(ipv4.contains("args->family == 2") && !ipv4.contains("args->family == 10"))
        let both = try Self.validated("tcp").programText(lastingSeconds: 5)
        #expect(both.components(separatedBy: "tracepoint:sock:inet_sock_set_state").count == 3)
        #expect(
            try Self.validated("open", ["failed-only": .boolean(true)]).programText(lastingSeconds: 5).contains(
                "if (args->ret < 0) { print((\"open\""
            )
        )
        #expect(!(try Self.validated("open").programText(lastingSeconds: 5).contains("if (args->ret < 0)")))
        let profile = try Self.validated("cpu-profile", ["frequency": .integer(99), "interval": .integer(2), "top": .integer(10)])
        let profileText = profile.programText(lastingSeconds: 5)
        #expect(profileText.contains("profile:hz:99 /(pid != 0)/ {"))
        #expect(profileText.contains(#"interval:s:2 { print(("interval", nsecs)); print(@cpu_samples, 10); clear(@cpu_samples); }"#))
        #expect(try Self.validated("off-cpu", ["min-microseconds": .integer(250)]).programText(lastingSeconds: 5).contains("if ($blocked >= 250)"))
        #expect(try Self.validated("function-latency").programText(lastingSeconds: 5).contains("@latency_ns = hist("))
    }
}
