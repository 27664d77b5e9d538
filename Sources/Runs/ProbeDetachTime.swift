/// How long a tracer that was asked to stop may take to take its probes off, beyond
/// `kill-grace-seconds`: the first wait of its `StopSequence` grows by this.
///
/// Measured with bpftrace 0.17 on this kernel (6.18, 2 cores, other builds running): after
/// SIGINT or its own `exit()`, bpftrace detaches its probes one at a time and the kernel
/// takes about 0.12 s for each uprobe or uretprobe (160 on /bin/bash: 18 to 20 s from
/// `exit()` to END; 20: 2.2 s; the same on a binary no other process maps, and with or
/// without a flood of events) and 0.08 s for each tracepoint (40: 3.1 s); `interval`,
/// BEGIN and END cost nothing measurable. A fixed 5 s grace therefore SIGKILLed every run
/// of more than about 80 probes in the middle of its detach: code 137, its END output
/// lost, and the detach took as long anyway (the kernel does the same work when the
/// killed process's descriptors close). Allowing twice the measured time per probe keeps
/// a slower or busier machine inside the allowance.
enum ProbeDetachTime {
    static let perProbe: Duration = .milliseconds(250)

    /// The allowance for a program attached at `probes` (`TraceRun.expectedProbes`: every
    /// attach point; nil, for a tracer that reports none, allows nothing more).
    static func allowance(for probes: [String]?) -> Duration {
        guard let probes else { return .zero }
        return perProbe * probes.filter(detachesSlowly).count
    }

    static func detachesSlowly(_ probe: String) -> Bool {
        !(probe == "BEGIN" || probe == "END" || probe.hasPrefix("interval:"))
    }
}
