/// What ran on the host when `ContainerInventory` read it: its containers and the
/// cgroup of every process. A value: the lookups below only search it, so a start can
/// resolve its target once and keep what it found.
public struct HostSnapshot: Sendable {
    /// Where cgroup v2 is mounted; nil when it is not (then no container has a cgroup id).
    public let cgroupMount: String?
    /// Ordered by id, then cgroup (an id claimed by unrelated cgroups is listed once per
    /// cgroup: `HostContainer.conflict`).
    public let containers: [HostContainer]
    /// Each process read and its cgroup path (v2, or v1's systemd hierarchy without v2).
    public let processCgroups: [Int32: String]
    /// Processes whose cgroup lies outside the reader's cgroup namespace (`..` paths):
    /// their containers cannot be seen, which a target that finds nothing says.
    public let processesOutsideCgroupNamespace: Int

    public init(cgroupMount: String?, containers: [HostContainer], processCgroups: [Int32: String], processesOutsideCgroupNamespace: Int = 0) {
        self.cgroupMount = cgroupMount
        self.containers = containers.sorted { ($0.id, $0.cgroup) < ($1.id, $1.cgroup) }
        self.processCgroups = processCgroups
        self.processesOutsideCgroupNamespace = processesOutsideCgroupNamespace
    }

    /// The container whose id is `text` or is the only one to start with it. Uppercase
    /// digits are read as lowercase (ids are written in lowercase).
    public func container(idOrPrefix text: String) -> ContainerLookup {
        let prefix = text.lowercased()
        guard ContainerID.isPrefix(prefix) else { return .notAnId }
        let matching = containers.filter { $0.id.hasPrefix(prefix) }
        switch Set(matching.map(\.id)).count {
        case 0: return .notFound
        case 1: return matching.count == 1 && matching[0].conflict == nil ? .found(matching[0]) : .conflicting(matching)
        default: return .ambiguous(matching)
        }
    }

    /// The containers of the pods `pod` and `namespace` match whose name `container`
    /// matches; nil means any (`*`). Only containers in a pod are candidates. A name the
    /// host does not know (a sandbox container's, a pod with no log link left) is matched
    /// only by a pattern of nothing but `*`.
    public func containers(pod: NameGlob?, namespace: NameGlob?, container: NameGlob?) -> [HostContainer] {
        func matches(_ glob: NameGlob?, _ value: String?) -> Bool {
            guard let glob, !glob.matchesAnything else { return true }
            return value.map(glob.matches) ?? false
        }
        return containers.filter { candidate in
            guard let inPod = candidate.pod else { return false }
            return matches(pod, inPod.name) && matches(namespace, inPod.namespace) && matches(container, candidate.name)
        }
    }

    /// The processes whose cgroup is `cgroup` (a path below the mount, such as
    /// `/system.slice/docker-<id>.scope`) or below it, ascending. `/` is every process.
    public func processes(inCgroup cgroup: String) -> [Int32] {
        let trimmed = cgroup.count > 1 && cgroup.hasSuffix("/") ? String(cgroup.dropLast()) : cgroup
        let below = trimmed == "/" ? "/" : trimmed + "/"
        return processCgroups.filter { $0.value == trimmed || $0.value.hasPrefix(below) }.map(\.key).sorted()
    }

    /// The directory of the cgroup at `cgroup` (a path below the mount); nil without a
    /// cgroup v2 mount, and for a path outside the reader's cgroup namespace (its `..`
    /// would lead out of the mount). For `CgroupTree`'s ids of a `{"cgroup": ...}` target.
    public func directory(ofCgroup cgroup: String) -> String? {
        guard let cgroupMount, !ProcessCgroupFile.isOutsideNamespace(cgroup) else { return nil }
        return cgroup == "/" ? cgroupMount : cgroupMount + cgroup
    }
}
