/// A requirement of an analysis this host does not meet, with the reason an operator
/// reads (`GET /analyses`'s `unavailable`, a 409 answer) and what would fix it (doctor).
public enum UnmetRequirement: Sendable, Equatable {
    case tracerMissing(path: String)
    /// No `events/` directory under the tracefs path: tracefs is not mounted there.
    case tracefsMissing(path: String)
    case tracepointMissing(Tracepoint, path: String)
    case kprobesMissing(tracefsPath: String, eventSourcePath: String)
    case uprobesMissing(tracefsPath: String, eventSourcePath: String)
    case perfEventsRefused(reason: String)
    case kernelBTFMissing(path: String)

    public var reason: String {
        switch self {
        case .tracerMissing(let path):
            "the tracer \(path) (bpf-path) is not an executable file"
        case .tracefsMissing(let path):
            "tracefs is not mounted at \(path) (no \(path)/events; tracefs-path)"
        case .tracepointMissing(let tracepoint, let path):
            "this kernel has no tracepoint \(tracepoint) (no \(path))"
        case .kprobesMissing(let tracefs, let eventSource):
            "this kernel has no kprobes (neither \(tracefs)/kprobe_events nor \(eventSource)/kprobe exists)"
        case .uprobesMissing(let tracefs, let eventSource):
            "this kernel has no uprobes (neither \(tracefs)/uprobe_events nor \(eventSource)/uprobe exists)"
        case .perfEventsRefused(let reason):
            "perf events cannot sample here: \(reason)"
        case .kernelBTFMissing(let path):
            "the kernel has no BTF (no \(path)), which the program needs to read kernel structures"
        }
    }

    public var fix: String {
        switch self {
        case .tracerMissing: "install bpftrace or set bpf-path"
        case .tracefsMissing(let path): "mount -t tracefs nodev \(path), or set tracefs-path to where tracefs is mounted"
        case .tracepointMissing: "a kernel built with this tracepoint (its subsystem's CONFIG_ option)"
        case .kprobesMissing: "a kernel built with CONFIG_KPROBES and CONFIG_KPROBE_EVENTS"
        case .uprobesMissing: "a kernel built with CONFIG_UPROBES and CONFIG_UPROBE_EVENTS"
        case .perfEventsRefused: "a kernel with CONFIG_PERF_EVENTS, and no seccomp or LSM policy denying perf_event_open to root"
        case .kernelBTFMissing: "a kernel built with CONFIG_DEBUG_INFO_BTF"
        }
    }
}
