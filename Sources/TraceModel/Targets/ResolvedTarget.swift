/// What a start's target resolved to on the host at start: the processes, containers or
/// cgroup it matched, how the tracer filters to them and which files it probes. Run
/// views show it as `resolved`; the stream's `target` lines are made from it.
public struct ResolvedTarget: Sendable, Equatable {
    /// How the program keeps events to the target's processes.
    public enum Filter: String, Sendable, Encodable {
        /// `cgroup ==` each cgroup v2 id of the matched cgroups and their sub-cgroups at
        /// start: processes that join them later are traced, sub-cgroups made later are not.
        case cgroup
        /// `pid ==` each process found at start (a pid target; a host without cgroup v2
        /// ids): processes started later are not traced.
        case pids
    }

    /// One thing the target matched: a container, the process of a pid target, a cgroup.
    public struct Match: Sendable, Equatable, Encodable {
        /// `container`, `pid` or `cgroup`.
        public var kind: String
        /// The container's id, the pid in decimal, the cgroup's path.
        public var id: String
        /// The container's name; for a pid, the name of its container, if in one.
        public var name: String?
        public var pod: String?
        public var namespace: String?
        /// Path below the cgroup v2 mount (for a pid: its own cgroup).
        public var cgroup: String?
        /// cgroup v2 id of `cgroup`; nil without cgroup v2.
        public var cgroupId: UInt64?
        /// `cgroupId` and the ids of every cgroup below it, at start.
        public var cgroupIds: [UInt64]
        /// Processes at start, ascending.
        public var pids: [Int32]
        /// Cgroups below `cgroup` past `CgroupTree.maxSubtreeDirectories`, not in
        /// `cgroupIds`: a cgroup filter does not trace them.
        public var untracedSubCgroups: Int
        /// A pid target's process start time at resolution (`/proc/<pid>/stat` field 22):
        /// what tells it from a later process given the same pid. Not shown.
        public var startTime: Int64?

        public init(
            kind: String,
            id: String,
            name: String?,
            pod: String? = nil,
            namespace: String? = nil,
            cgroup: String?,
            cgroupIds: [UInt64],
            pids: [Int32],
            untracedSubCgroups: Int = 0,
            startTime: Int64? = nil
        ) {
            self.kind = kind
            self.id = id
            self.name = name
            self.pod = pod
            self.namespace = namespace
            self.cgroup = cgroup
            self.cgroupId = cgroupIds.first
            self.cgroupIds = cgroupIds
            self.pids = pids
            self.untracedSubCgroups = untracedSubCgroups
            self.startTime = startTime
        }

        private enum Keys: String, CodingKey { case kind, id, name, pod, namespace, cgroup, cgroupId, cgroupIds, pids, untracedSubCgroups }

        /// Every key always, `null` where unknown, as `GET /containers` writes them.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(kind, forKey: .kind)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(pod, forKey: .pod)
            try container.encode(namespace, forKey: .namespace)
            try container.encode(cgroup, forKey: .cgroup)
            try container.encode(cgroupId, forKey: .cgroupId)
            try container.encode(cgroupIds, forKey: .cgroupIds)
            try container.encode(pids, forKey: .pids)
            try container.encode(untracedSubCgroups, forKey: .untracedSubCgroups)
        }
    }

    /// One distinct file probed (a device and inode probed once, however many matches
    /// run it), named through the root of one of its processes.
    public struct ProbedFile: Sendable, Equatable, Encodable {
        /// The file as the target sees it: `/proc/<pid>/root/<path with symlinks resolved>`.
        /// (The tracer is given the endpoint's descriptor of it instead, `HeldBinaries`.)
        public var path: String
        public var device: UInt64
        public var inode: UInt64
        /// The process whose root `path` goes through.
        public var pid: Int32
        /// The ids of the matches that run this file.
        public var matches: [String]
        /// Which build the file is (shown as `binary`): the stream has a `binary` line for
        /// it, and a template's pin must match it.
        public var identity: BinaryIdentity

        public init(path: String, device: UInt64, inode: UInt64, pid: Int32, matches: [String], identity: BinaryIdentity) {
            self.path = path
            self.pid = pid
            self.device = device
            self.inode = inode
            self.matches = matches
            self.identity = identity
        }

        enum CodingKeys: String, CodingKey {
            case path, device, inode, pid, matches
            case identity = "binary"
        }
    }

    public var matches: [Match]
    public var filter: Filter
    /// Filled in when the binary is checked (`TargetResolver.probedFiles`).
    public var files: [ProbedFile]
    /// Processes whose cgroups lay outside the endpoint's cgroup namespace at start
    /// (`HostSnapshot.processesOutsideCgroupNamespace`): no container, pod or cgroup
    /// target can have matched them.
    public var processesOutsideCgroupNamespace: Int

    public init(matches: [Match], filter: Filter, files: [ProbedFile] = [], processesOutsideCgroupNamespace: Int = 0) {
        self.matches = matches
        self.filter = filter
        self.files = files
        self.processesOutsideCgroupNamespace = processesOutsideCgroupNamespace
    }

    /// What the run leaves untraced of what it asked, in words: a run's status shows
    /// them (`warnings`), so that a cut filter or an unseen namespace is not silent.
    public var warnings: [String] {
        var warnings = matches.filter { $0.untracedSubCgroups > 0 }.map { match in
            "\(match.kind) \(match.id) has \(match.cgroupIds.count - 1 + match.untracedSubCgroups) cgroups below its own, more than the \(CgroupTree.maxSubtreeDirectories) a filter holds: \(match.untracedSubCgroups) of them are not traced"
        }
        if processesOutsideCgroupNamespace > 0, !matches.allSatisfy({ $0.kind == "pid" }) {
            warnings.append(
                "\(processesOutsideCgroupNamespace) processes had cgroups outside the endpoint's cgroup namespace (paths with '..') at start: no container, pod or cgroup among them could be matched"
            )
        }
        return warnings
    }

    /// What the program's predicate compares: the cgroup ids or the pids, each once, ascending.
    public var filterValues: [UInt64] {
        switch filter {
        case .cgroup: Array(Set(matches.flatMap(\.cgroupIds))).sorted()
        case .pids: Array(Set(matches.flatMap(\.pids).map { UInt64($0) })).sorted()
        }
    }

    /// A pid filter's guard against a pid given to another process once its own exited
    /// (`TargetExitGuard`); nil for a cgroup filter (cgroup v2 ids are 64-bit kernfs ids,
    /// not given to a later cgroup).
    public var exitGuard: TargetExitGuard? { filter == .pids ? TargetExitGuard(pids: filterValues) : nil }
}

extension ResolvedTarget: Encodable {
    private enum Keys: String, CodingKey { case filter, matches, files, processesOutsideCgroupNamespace }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(filter, forKey: .filter)
        try container.encode(matches, forKey: .matches)
        try container.encode(files, forKey: .files)
        try container.encode(processesOutsideCgroupNamespace, forKey: .processesOutsideCgroupNamespace)
    }
}
