import Testing
import TraceModel

@Suite("bpftrace's limits, set for every run")
struct TracerLimitsTests {
    static let settings = TracerLimits(mapKeysMax: 1000, maxProbes: 100, stringLength: 32)

    @Test("A template's own value wins; the others come from the settings")
    func templateWins() {
        let template = TraceTemplate(
            process: "/bin/bash",
            functions: ["xmalloc"],
            environment: ["BPFTRACE_STRLEN"],
            value: ["100"],
            traceType: ["BPF"]
        )
        #expect(Self.settings.applied(to: template) == TracerLimits(mapKeysMax: 1000, maxProbes: 100, stringLength: 100))
        let plain = TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], traceType: ["BPF"])
        #expect(Self.settings.applied(to: plain) == Self.settings)
    }

    @Test("bpftrace's environment carries them, over the base environment; SystemTap's does not")
    func environment() {
        let template = TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], traceType: ["BPF", "STAP"])
        let bpf = TracerInvocation(
            template: template,
            tracer: .bpf,
            programFile: "/p",
            tracerPath: "/usr/bin/bpftrace",
            privilege: .root,
            limits: Self.settings
        )
        #expect(
            bpf.environment
                == TracerInvocation.baseEnvironment.merging(
                    ["BPFTRACE_MAP_KEYS_MAX": "1000", "BPFTRACE_MAX_PROBES": "100", "BPFTRACE_STRLEN": "32"]
                ) { $1 }
        )
        let stap = TracerInvocation(
            template: template,
            tracer: .stap,
            programFile: "/p",
            tracerPath: "/usr/bin/stap",
            privilege: .root,
            limits: Self.settings
        )
        #expect(stap.environment == TracerInvocation.baseEnvironment)
    }
}
