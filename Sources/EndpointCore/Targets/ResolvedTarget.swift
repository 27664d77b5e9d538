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

        public init(
            kind: String,
            id: String,
            name: String?,
            pod: String? = nil,
            namespace: String? = nil,
            cgroup: String?,
            cgroupIds: [UInt64],
            pids: [Int32]
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
        }

        private enum Keys: String, CodingKey { case kind, id, name, pod, namespace, cgroup, cgroupId, cgroupIds, pids }

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

    public init(matches: [Match], filter: Filter, files: [ProbedFile] = []) {
        self.matches = matches
        self.filter = filter
        self.files = files
    }

    /// What the program's predicate compares: the cgroup ids or the pids, each once, ascending.
    public var filterValues: [UInt64] {
        switch filter {
        case .cgroup: Array(Set(matches.flatMap(\.cgroupIds))).sorted()
        case .pids: Array(Set(matches.flatMap(\.pids).map { UInt64($0) })).sorted()
        }
    }
}

extension ResolvedTarget: Encodable {
    private enum Keys: String, CodingKey { case filter, matches, files }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(filter, forKey: .filter)
        try container.encode(matches, forKey: .matches)
        try container.encode(files, forKey: .files)
    }
}
