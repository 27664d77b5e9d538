import EndpointConfig
import TraceModel

/// Reads what runs in containers on this host from the host's own files, with no runtime
/// API (docs/targets-and-analyses.md, "Containers"):
/// - every process's cgroup (`<proc-root>/<pid>/cgroup`), matched by `ContainerCgroupPath`;
/// - the cgroup2 mount (`cgroup-v2-mount`, else `<proc-root>/mounts`) for the cgroup ids;
/// - names: the kubelet's log links (`container-log-dir`) and Docker's
///   `<docker-data-root>/containers/<id>/config.v2.json`.
///
/// Every read is bounded, and processes that exit while the walk goes on are passed
/// over. The reads block (a directory on a hung mount can block them for good), so they
/// run on `pool`'s threads, never on Swift's concurrency pool.
public struct ContainerInventory: Sendable {
    /// The directories read; settings, so that tests can point them at trees of their own.
    public struct Locations: Sendable, Equatable {
        public var procRoot: String
        /// nil: the `cgroup2` line of `<procRoot>/mounts`.
        public var cgroupMount: String?
        public var containerLogDirectory: String
        public var dockerDataRoot: String

        public init(procRoot: String, cgroupMount: String?, containerLogDirectory: String, dockerDataRoot: String) {
            self.procRoot = procRoot
            self.cgroupMount = cgroupMount
            self.containerLogDirectory = containerLogDirectory
            self.dockerDataRoot = dockerDataRoot
        }

        public init(settings: LambdaSettings) {
            self.init(
                procRoot: settings.procRoot,
                cgroupMount: settings.cgroupV2Mount,
                containerLogDirectory: settings.containerLogDirectory,
                dockerDataRoot: settings.dockerDataRoot
            )
        }
    }

    /// Bounds on what one reading takes: far above any real host, so that a directory
    /// or file that is not what it should be cannot take the endpoint's memory.
    public enum Limits {
        public static let maxProcesses = 1 << 20
        public static let maxLogLinks = 1 << 18
        /// `/proc/<pid>/cgroup`: a line per hierarchy (v1 has a dozen), each a path.
        public static let maxCgroupFileBytes = 64 << 10
        /// `/proc/mounts` of a node with thousands of volume mounts.
        public static let maxMountsBytes = 16 << 20
    }

    /// 2 threads, each stuck at most until its mount answers; a reading of a host with a
    /// thousand processes takes tens of milliseconds, so 16 waiting and 10 s are room
    /// enough, and a caller past them gets an answer instead of a hang.
    public static let sharedPool = BlockingWorkPool(label: "lambda-endpoint.inventory", threads: 2, maxWaiting: 16, timeout: .seconds(10))

    public let locations: Locations
    public let pool: BlockingWorkPool

    public init(locations: Locations, pool: BlockingWorkPool = ContainerInventory.sharedPool) {
        self.locations = locations
        self.pool = pool
    }

    /// Reads the host on `pool`'s threads.
    public func snapshot() async throws(BlockingWorkPool.Failure) -> HostSnapshot {
        let inventory = self
        return try await pool.run { inventory.readSnapshot() }
    }

    /// Reads the host now, on the calling thread (it blocks: see the type's comment).
    public func readSnapshot() -> HostSnapshot {
        let cgroupMount = locations.cgroupMount ?? readCgroupMount()
        let processCgroups = readProcessCgroups()
        var byCgroup: [String: ContainerIdClaims.Claim] = [:]
        var parsedPaths: [String: ContainerCgroupPath?] = [:]
        var outsideNamespace = 0
        for (pid, cgroup) in processCgroups.sorted(by: { $0.key < $1.key }) {
            if ProcessCgroupFile.isOutsideNamespace(cgroup.path) { outsideNamespace += 1 }
            let parsed = parsedPaths[cgroup.path] ?? ContainerCgroupPath.parse(cgroup.path)
            parsedPaths[cgroup.path] = parsed
            guard let parsed else { continue }
            // By the container's cgroup, not its id: a name proves nothing (ContainerIdClaims).
            byCgroup[parsed.containerCgroup, default: .init(parsed: parsed, hierarchy: cgroup.hierarchy, pids: [])].pids.append(pid)
        }
        let logLinks = readLogLinks()
        var containers = ContainerIdClaims.resolve(Array(byCgroup.values)).map { claim in
            container(claim, cgroupMount: cgroupMount, logLink: logLinks[claim.parsed.containerId])
        }
        containers = Self.namingPodsFromSiblings(containers)
        return HostSnapshot(
            cgroupMount: cgroupMount,
            containers: containers,
            processCgroups: processCgroups.mapValues(\.path),
            processesOutsideCgroupNamespace: outsideNamespace
        )
    }

    private func container(_ claim: ContainerIdClaims.Claim, cgroupMount: String?, logLink: KubeletLogLink?) -> HostContainer {
        let parsed = claim.parsed
        var runtime = parsed.runtime
        var dockerName: String?
        // The kubelet's cgroupfs driver does not say which runtime made a bare id: Docker
        // did if it keeps a record of it.
        if runtime == .docker || runtime == nil {
            switch BoundedFileRead.bytes(at: dockerConfigPath(of: parsed.containerId), maxBytes: DockerContainerConfig.maxBytes) {
            case .success(let bytes):
                runtime = .docker
                dockerName = DockerContainerConfig.name(fromConfig: bytes)
            case .failure(.tooLarge):
                runtime = .docker
            case .failure:
                break
            }
        }
        var pod: HostContainer.Pod?
        if parsed.pod != nil || logLink != nil {
            pod = HostContainer.Pod(name: logLink?.pod, namespace: logLink?.namespace, uid: parsed.pod?.uid, qosClass: parsed.pod?.qosClass)
        }
        var subtree = CgroupTree.Subtree(ids: [], untraced: 0)
        if claim.hierarchy == .unified, let cgroupMount {
            subtree = CgroupTree.subtree(atAndBelow: cgroupMount + parsed.containerCgroup)
        }
        return HostContainer(
            id: parsed.containerId,
            runtime: runtime,
            name: logLink?.container ?? dockerName,
            pod: pod,
            cgroup: parsed.containerCgroup,
            subtreeCgroupIds: subtree.ids,
            untracedSubCgroups: subtree.untraced,
            pids: claim.pids,
            conflict: claim.conflict
        )
    }

    /// A pod's sandbox (pause) container has no log link; another container of the same
    /// pod uid names the pod for it.
    static func namingPodsFromSiblings(_ containers: [HostContainer]) -> [HostContainer] {
        var podNames: [String: (name: String, namespace: String)] = [:]
        for container in containers {
            if let uid = container.pod?.uid, let name = container.pod?.name, let namespace = container.pod?.namespace {
                podNames[uid] = (name, namespace)
            }
        }
        return containers.map { container in
            guard let pod = container.pod, pod.name == nil, let uid = pod.uid, let sibling = podNames[uid] else { return container }
            var filled = container
            filled.pod?.name = sibling.name
            filled.pod?.namespace = sibling.namespace
            return filled
        }
    }

    func dockerConfigPath(of containerId: String) -> String {
        // `containerId` is 64 hex digits (ContainerCgroupPath checked it): no `/`, no `..`.
        locations.dockerDataRoot + "/containers/" + containerId + "/config.v2.json"
    }

    private func readCgroupMount() -> String? {
        guard case .success(let mounts) = BoundedFileRead.text(at: locations.procRoot + "/mounts", maxBytes: Limits.maxMountsBytes) else {
            return nil
        }
        return CgroupMountTable.cgroup2MountPoint(in: mounts)
    }

    /// Numeric entries only (`/proc/self`, `/proc/sys` are not processes). A process that
    /// exits between the listing and the read (ENOENT, ESRCH) is simply not there; so is
    /// one whose file cannot be read for another reason.
    private func readProcessCgroups() -> [Int32: (path: String, hierarchy: ProcessCgroupFile.Hierarchy)] {
        var cgroups: [Int32: (path: String, hierarchy: ProcessCgroupFile.Hierarchy)] = [:]
        for entry in DirectoryListing.entries(of: locations.procRoot, limit: Limits.maxProcesses) ?? [] {
            guard entry.name.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let pid = Int32(entry.name), pid > 0,
                case .success(let text) = BoundedFileRead.text(at: "\(locations.procRoot)/\(pid)/cgroup", maxBytes: Limits.maxCgroupFileBytes),
                let cgroup = ProcessCgroupFile.path(in: text)
            else { continue }
            cgroups[pid] = cgroup
        }
        return cgroups
    }

    /// Container id to its log link's names. Only entry names are read: links and what
    /// they point to are not followed.
    private func readLogLinks() -> [String: KubeletLogLink] {
        var links: [String: KubeletLogLink] = [:]
        for entry in DirectoryListing.entries(of: locations.containerLogDirectory, limit: Limits.maxLogLinks) ?? [] {
            guard let link = KubeletLogLink(fileName: entry.name) else { continue }
            links[link.containerId] = link
        }
        return links
    }
}
