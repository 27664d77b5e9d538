/// One container running on this host, as `GET /containers` lists it and a target
/// resolves to: read from the host's files (`ContainerInventory`), `nil` where they do
/// not say.
public struct HostContainer: Sendable, Equatable {
    /// The pod a container belongs to: its uid from the cgroup path, its name and
    /// namespace from the kubelet's log links (of this container, or of another of the
    /// same pod for a container that has none, such as the sandbox).
    public struct Pod: Sendable, Equatable {
        public var name: String?
        public var namespace: String?
        public var uid: String?
        public var qosClass: PodQoSClass?

        public init(name: String?, namespace: String?, uid: String?, qosClass: PodQoSClass?) {
            self.name = name
            self.namespace = namespace
            self.uid = uid
            self.qosClass = qosClass
        }
    }

    /// 64 hexadecimal digits.
    public let id: String
    public let runtime: ContainerRuntime?
    /// The kubelet's container name when it runs one, else Docker's `--name`.
    public let name: String?
    public package(set) var pod: Pod?
    /// The container's cgroup path below the cgroup v2 mount (`/system.slice/docker-<id>.scope`);
    /// on a host without cgroup v2, the path in cgroup v1's systemd hierarchy.
    public let cgroup: String
    /// The cgroup v2 id of `cgroup` (bpftrace's `cgroupid()` of it); nil without cgroup v2.
    public var cgroupId: UInt64? { subtreeCgroupIds.first }
    /// The cgroup v2 ids of `cgroup` (first) and of every cgroup below it (nested
    /// containers' included): the values bpftrace's `cgroup` can have for the container's
    /// processes (see `CgroupTree`). Empty without cgroup v2.
    public let subtreeCgroupIds: [UInt64]
    /// Cgroups below `cgroup` past `CgroupTree.maxSubtreeDirectories`: not in
    /// `subtreeCgroupIds`, so a filter by them leaves these untraced.
    public let untracedSubCgroups: Int
    /// The processes (thread-group ids, as in `/proc`) in `cgroup` or below, ascending;
    /// a process of a container nested in this one (Docker in Docker) is the nested one's.
    public let pids: [Int32]
    /// The other cgroups whose names claim this container's id, unrelated to `cgroup`
    /// (`ContainerIdClaims`); nil when none. A target on the id is then refused.
    public let conflict: [String]?

    public init(
        id: String,
        runtime: ContainerRuntime?,
        name: String?,
        pod: Pod?,
        cgroup: String,
        subtreeCgroupIds: [UInt64],
        untracedSubCgroups: Int = 0,
        pids: [Int32],
        conflict: [String]? = nil
    ) {
        self.id = id
        self.runtime = runtime
        self.name = name
        self.pod = pod
        self.cgroup = cgroup
        self.subtreeCgroupIds = subtreeCgroupIds
        self.untracedSubCgroups = untracedSubCgroups
        self.pids = pids
        self.conflict = conflict
    }
}

/// `GET /containers`' element: docs/openapi.yaml's keys with `null` written out for what is unknown,
/// and `cgroupId`, `untracedSubCgroups`, `conflict` (and the pod's `qosClass`) beside them.
extension HostContainer: Encodable {
    private enum Keys: String, CodingKey {
        case id, runtime, name, pod, cgroup, cgroupId, untracedSubCgroups, pids, conflict
    }

    private enum PodKeys: String, CodingKey {
        case name, namespace, uid, qosClass
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(id, forKey: .id)
        try container.encode(runtime, forKey: .runtime)
        try container.encode(name, forKey: .name)
        if let pod {
            var podContainer = container.nestedContainer(keyedBy: PodKeys.self, forKey: .pod)
            try podContainer.encode(pod.name, forKey: .name)
            try podContainer.encode(pod.namespace, forKey: .namespace)
            try podContainer.encode(pod.uid, forKey: .uid)
            try podContainer.encode(pod.qosClass, forKey: .qosClass)
        } else {
            try container.encodeNil(forKey: .pod)
        }
        try container.encode(cgroup, forKey: .cgroup)
        try container.encode(cgroupId, forKey: .cgroupId)
        try container.encode(untracedSubCgroups, forKey: .untracedSubCgroups)
        try container.encode(pids, forKey: .pids)
        try container.encode(conflict, forKey: .conflict)
    }
}
