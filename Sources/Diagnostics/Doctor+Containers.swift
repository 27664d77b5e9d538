import TraceModel

extension Doctor {
    /// Most container problems one `containers` line names; the rest are counted.
    static let maxContainerProblemsShown = 5

    /// What targets would not see or would see in part, read as `GET /containers` reads
    /// the host: processes outside the endpoint's cgroup namespace (whose containers are
    /// invisible), container ids claimed by unrelated cgroups (refused as targets) and
    /// containers with more sub-cgroups than a filter holds (traced in part).
    public static func containers(_ snapshot: HostSnapshot) -> [DoctorCheck] {
        [cgroupNamespace(snapshot), containerProblems(snapshot)]
    }

    static func cgroupNamespace(_ snapshot: HostSnapshot) -> DoctorCheck {
        let (outside, total) = (snapshot.processesOutsideCgroupNamespace, snapshot.processCgroups.count)
        guard outside > 0 else {
            return .ok("cgroup namespace", "the cgroups of all \(total) processes are inside the endpoint's cgroup namespace")
        }
        let detail =
            outside == 1
            ? "1 of \(total) processes has a cgroup outside the endpoint's cgroup namespace (a path with '..'): its container cannot be listed or targeted"
            : "\(outside) of \(total) processes have cgroups outside the endpoint's cgroup namespace (paths with '..'): their containers cannot be listed or targeted"
        return .warning(
            "cgroup namespace",
            detail,
            fix: "run the endpoint in the host's cgroup namespace, e.g. docker run --cgroupns=host --pid=host"
        )
    }

    static func containerProblems(_ snapshot: HostSnapshot) -> DoctorCheck {
        var problems: [String] = []
        var reportedConflicts = Set<String>()
        for container in snapshot.containers {
            if container.conflict != nil, reportedConflicts.insert(container.id).inserted {
                let cgroups = snapshot.containers.filter { $0.id == container.id }.map(\.cgroup)
                problems.append(
                    "container \(container.id) is claimed by \(cgroups.count) unrelated cgroups (\(cgroups.joined(separator: ", "))): a target on it is refused"
                )
            }
            if container.untracedSubCgroups > 0 {
                let below = container.subtreeCgroupIds.count - 1 + container.untracedSubCgroups
                problems.append(
                    "container \(container.id) has \(below) cgroups below its own, more than the \(CgroupTree.maxSubtreeDirectories) a filter holds: a target on it leaves \(container.untracedSubCgroups) untraced"
                )
            }
        }
        let count = "\(snapshot.containers.count) containers"
        guard !problems.isEmpty else { return .ok("containers", count) }
        var shown = problems.prefix(maxContainerProblemsShown).joined(separator: "; ")
        if problems.count > maxContainerProblemsShown { shown += "; and \(problems.count - maxContainerProblemsShown) more" }
        return .warning(
            "containers",
            "\(count); \(shown)",
            fix: "find which container named a cgroup after another's id; target a big container by narrower cgroups"
        )
    }
}
