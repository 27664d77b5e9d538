/// Which cgroups stand for a container id. A process's container is the innermost
/// component of its cgroup path that names one (`ContainerCgroupPath`), and a container
/// allowed to make cgroups below its own can name one `docker-<another's id>.scope`: the
/// name alone proves nothing. So processes are grouped by their container's cgroup path,
/// never by id, and an id is looked at across paths:
/// - paths of one id nested in each other (a container naming a sub-cgroup after its own
///   id) are one container, at the outermost path: whatever is below is its own anyway;
/// - unrelated paths for one id are a conflict: each stays listed with its own processes
///   and names the others, and a target on the id is refused (409), since which one the
///   runtime made cannot be told from the files.
public enum ContainerIdClaims {
    /// The processes of one container cgroup path.
    public struct Claim: Sendable, Equatable {
        public var parsed: ContainerCgroupPath
        public var hierarchy: ProcessCgroupFile.Hierarchy
        /// Ascending.
        public var pids: [Int32]
        /// The other, unrelated cgroups claiming the same id, ascending; nil when none.
        public var conflict: [String]?

        public init(parsed: ContainerCgroupPath, hierarchy: ProcessCgroupFile.Hierarchy, pids: [Int32], conflict: [String]? = nil) {
            self.parsed = parsed
            self.hierarchy = hierarchy
            self.pids = pids
            self.conflict = conflict
        }
    }

    /// `claims`, one per container cgroup path, merged and marked as above; by id, then path.
    public static func resolve(_ claims: [Claim]) -> [Claim] {
        var resolved: [Claim] = []
        for (_, sameId) in Dictionary(grouping: claims, by: \.parsed.containerId) {
            // Outermost first: a path can only be nested in a shorter one.
            var kept: [Claim] = []
            for claim in sameId.sorted(by: { $0.parsed.containerCgroup.count < $1.parsed.containerCgroup.count }) {
                let path = claim.parsed.containerCgroup
                if let outer = kept.firstIndex(where: { path == $0.parsed.containerCgroup || path.hasPrefix($0.parsed.containerCgroup + "/") }) {
                    kept[outer].pids = (kept[outer].pids + claim.pids).sorted()
                } else {
                    kept.append(claim)
                }
            }
            if kept.count > 1 {
                let paths = kept.map(\.parsed.containerCgroup)
                for index in kept.indices {
                    kept[index].conflict = paths.filter { $0 != kept[index].parsed.containerCgroup }.sorted()
                }
            }
            resolved += kept
        }
        return resolved.sorted { ($0.parsed.containerId, $0.parsed.containerCgroup) < ($1.parsed.containerId, $1.parsed.containerCgroup) }
    }
}
