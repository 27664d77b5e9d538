/// What an analysis program needs of the host's kernel, so that its availability can be
/// checked before a run (`TracingHost`) instead of failing at attach time.
public struct AnalysisRequirements: Sendable, Equatable {
    /// Each must exist in tracefs as `events/<category>/<name>`.
    public var tracepoints: [Tracepoint]
    /// `profile:hz`: perf events that sample (a cpu-clock software event per CPU).
    public var perfEventSampling: Bool
    public var uprobes: Bool
    public var kprobes: Bool
    /// The kernel's BTF (`/sys/kernel/btf/vmlinux`), for reading kernel structures such
    /// as `curtask->real_parent` without kernel headers.
    public var kernelBTF: Bool

    public init(
        tracepoints: [Tracepoint] = [],
        perfEventSampling: Bool = false,
        uprobes: Bool = false,
        kprobes: Bool = false,
        kernelBTF: Bool = false
    ) {
        self.tracepoints = tracepoints
        self.perfEventSampling = perfEventSampling
        self.uprobes = uprobes
        self.kprobes = kprobes
        self.kernelBTF = kernelBTF
    }
}

/// A kernel tracepoint, `category:name` (`sched:sched_switch`): bpftrace's
/// `tracepoint:category:name`, tracefs's `events/category/name`.
public struct Tracepoint: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let category: String
    public let name: String

    public init(_ category: String, _ name: String) {
        self.category = category
        self.name = name
    }

    public var description: String { "\(category):\(name)" }
    /// The probe as a bpftrace program names it.
    public var probe: String { "tracepoint:\(category):\(name)" }
}
