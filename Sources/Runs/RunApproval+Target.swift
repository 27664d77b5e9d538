import HostSystem
import TraceModel

extension RunApproval {
    /// Resolves `target` on a fresh reading of the host (the inventory's threads).
    func resolve(_ target: TargetRequest) async throws(StartRefusal) -> ResolvedTarget {
        let (inventory, maxTargets) = (self.inventory, limits.maxTargetsPerRun)
        return try await Self.onThreads(of: inventory.pool.run, poolFailed: Self.hostUnreadable) { () throws(StartRefusal) in
            var resolved = try TargetResolver(snapshot: inventory.readSnapshot(), maxTargets: maxTargets).resolve(target)
            // What tells the process from a later one given its pid (TargetProcessWatch).
            if case .pid(let pid) = target {
                resolved.matches[0].startTime = ProcessIdentity.startTime(of: pid, procRoot: inventory.locations.procRoot)
            }
            return resolved
        }
    }

    /// The inventory's pool failed: the host's state, not the request's (a hung /proc,
    /// many starts at once).
    static func hostUnreadable(_ failure: BlockingWorkPool.Failure) -> StartRefusal {
        .hostUnreadable(timedOut: failure == .timedOut)
    }

    /// The distinct files of `process` inside `resolved`'s matches, each holding
    /// `functions` (`TargetResolver.probedFiles`), read on `BinaryInspection`'s threads and
    /// kept open in `held` for the tracer; `precheck` runs there first (a template's rules).
    func probedFiles(
        _ process: String,
        functions: [String],
        in resolved: ResolvedTarget,
        holdingIn held: HeldBinaries,
        precheck: @escaping @Sendable () throws(StartRefusal) -> Void = {}
    ) async throws(StartRefusal) -> [ResolvedTarget.ProbedFile] {
        let procRoot = inventory.locations.procRoot
        return try await Self.onThreads(of: BinaryInspection.run, poolFailed: StartRefusal.binaryInspection) { () throws(StartRefusal) in
            try precheck()
            return try TargetResolver.probedFiles(process: process, functions: functions, for: resolved, procRoot: procRoot, holdingIn: held)
        }
    }
}
