/// Which processes an analysis program observes: the whole host, or what a start's
/// `target` resolved to (docs/targets-and-analyses.md, "Targets"; resolving a target is not the catalogue's work,
/// only filtering by the result is). Filtering happens inside the tracer, in the
/// predicate of every probe that starts a measurement; probes that finish one (a
/// `uretprobe`, a syscall's exit, a request's completion) only look up what a filtered
/// probe recorded, so they need no filter of their own.
///
/// A targeted run's event tuples carry the cgroup v2 id as one more element at the end,
/// as a template run's do, so a platform can tell containers apart; maps are filtered
/// but keyed as for the host.
public enum AnalysisScope: Sendable, Equatable {
    case host
    /// Processes in these cgroup v2 cgroups (bpftrace's `cgroup`: the id of the task's
    /// cgroup, not of its ancestors: pass each cgroup of a target's tree).
    case cgroups([UInt64])
    /// These processes (thread-group ids), where a target has no cgroup v2 id, until
    /// they exit.
    case processes([Int32])

    /// The bpftrace condition that selects the scope's tasks; nil for the host.
    var predicate: String? {
        switch self {
        case .host: nil
        case .cgroups(let ids): "(" + (ids.isEmpty ? "0" : ids.map { "cgroup == \($0)" }.joined(separator: " || ")) + ")"
        case .processes: exitGuard?.filter ?? "(0)"
        }
    }

    /// Processes are kept until they exit, not followed to later processes given their
    /// pids (`TargetExitGuard`); nil for the host and cgroups.
    var exitGuard: TargetExitGuard? {
        guard case .processes(let pids) = self else { return nil }
        return TargetExitGuard(pids: pids.map { UInt64(UInt32(bitPattern: $0)) })
    }

    /// What an event tuple ends with: `, cgroup` for a targeted run.
    var eventSuffix: String { self == .host ? "" : ", cgroup" }
}

extension AnalysisScope {
    /// What a start's resolved target filters by; the host without one.
    public init(_ target: ResolvedTarget?) {
        guard let target else {
            self = .host
            return
        }
        switch target.filter {
        case .cgroup: self = .cgroups(target.filterValues)
        case .pids: self = .processes(target.filterValues.map { Int32(truncatingIfNeeded: $0) })
        }
    }
}
