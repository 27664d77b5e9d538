import TraceModel

/// Resolves a start's `TargetRequest` against what runs on the host (a fresh
/// `HostSnapshot`), then finds the template's binary inside what it matched. Both steps
/// read files (cgroup directories; the binary through `/proc/<pid>/root`): they block,
/// and run on the inventory's and the binary inspection's pools.
public struct TargetResolver: Sendable {
    /// Most values one program's predicate compares (`cgroup == N || ...`): each is a few
    /// BPF instructions in every probe; far above a real pod's containers and sub-cgroups.
    public static let maxFilterValues = 4096

    public let snapshot: HostSnapshot
    public let maxTargets: Int

    public init(snapshot: HostSnapshot, maxTargets: Int) {
        self.snapshot = snapshot
        self.maxTargets = maxTargets
    }

    /// What `request` matches; refusals name the target (404 when nothing matches, and
    /// why when processes outside the endpoint's cgroup namespace may hold it; 409 for a
    /// container id claimed by unrelated cgroups).
    public func resolve(_ request: TargetRequest) throws(StartRefusal) -> ResolvedTarget {
        let matches: [ResolvedTarget.Match]
        switch request {
        case .pid(let pid):
            guard let cgroup = snapshot.processCgroups[pid] else { throw .targetNotFound(request.description) }
            let container = snapshot.containers.first { $0.pids.contains(pid) }
            let cgroupId = snapshot.directory(ofCgroup: cgroup).flatMap(CgroupTree.id(ofDirectory:))
            matches = [
                ResolvedTarget.Match(
                    kind: "pid",
                    id: "\(pid)",
                    name: container?.name,
                    pod: container?.pod?.name,
                    namespace: container?.pod?.namespace,
                    cgroup: cgroup,
                    cgroupIds: cgroupId.map { [$0] } ?? [],
                    pids: [pid]
                )
            ]
        case .container(let prefix):
            switch snapshot.container(idOrPrefix: prefix) {
            case .found(let container): matches = [Self.match(container)]
            case .notFound, .notAnId: throw notFound(request)
            case .conflicting(let claims): throw .targetConflict(containerId: claims[0].id, cgroups: claims.map(\.cgroup))
            case .ambiguous(let containers):
                // Whole ids: shortened ones could all look alike (they share the prefix).
                let ids = Array(Set(containers.map(\.id))).sorted()
                let shown = ids.prefix(3).joined(separator: ", ")
                throw .invalidField(
                    FieldError(
                        field: "target.container",
                        reason: "\(prefix) begins the ids of \(ids.count) containers (\(shown)\(ids.count > 3 ? ", ..." : "")); give more digits"
                    )
                )
            }
        case .pod(let pod, let namespace, let container):
            let found = snapshot.containers(pod: pod, namespace: namespace, container: container)
            guard !found.isEmpty else { throw notFound(request) }
            if let claimed = found.first(where: { $0.conflict != nil }) {
                throw .targetConflict(containerId: claimed.id, cgroups: snapshot.containers.filter { $0.id == claimed.id }.map(\.cgroup))
            }
            matches = found.map(Self.match)
        case .cgroup(let path):
            let pids = snapshot.processes(inCgroup: path)
            guard !pids.isEmpty else { throw notFound(request, what: "process in ") }
            let subtree = snapshot.directory(ofCgroup: path).map { CgroupTree.subtree(atAndBelow: $0) }
            matches = [
                ResolvedTarget.Match(
                    kind: "cgroup",
                    id: path,
                    name: nil,
                    cgroup: path,
                    cgroupIds: subtree?.ids ?? [],
                    pids: pids,
                    untracedSubCgroups: subtree?.untraced ?? 0
                )
            ]
        }
        guard matches.count <= maxTargets else { throw .tooManyTargets(target: request.description, matched: matches.count, limit: maxTargets) }
        let filter: ResolvedTarget.Filter
        if case .pid = request {
            filter = .pids
        } else {
            filter = matches.allSatisfy { !$0.cgroupIds.isEmpty } ? .cgroup : .pids
        }
        let resolved = ResolvedTarget(matches: matches, filter: filter, processesOutsideCgroupNamespace: snapshot.processesOutsideCgroupNamespace)
        let values = resolved.filterValues.count
        guard values <= Self.maxFilterValues else {
            throw .targetFilterTooLarge(target: request.description, values: values, limit: Self.maxFilterValues)
        }
        return resolved
    }

    /// Nothing matched `request`: and where processes lie outside the endpoint's cgroup
    /// namespace, the answer says that what they run cannot be seen.
    func notFound(_ request: TargetRequest, what: String = "") -> StartRefusal {
        let outside = snapshot.processesOutsideCgroupNamespace
        return outside > 0
            ? .targetNotFoundOutsideNamespace(what + request.description, processes: outside) : .targetNotFound(what + request.description)
    }

    static func match(_ container: HostContainer) -> ResolvedTarget.Match {
        ResolvedTarget.Match(
            kind: "container",
            id: container.id,
            name: container.name,
            pod: container.pod?.name,
            namespace: container.pod?.namespace,
            cgroup: container.cgroup,
            cgroupIds: container.subtreeCgroupIds,
            pids: container.pids,
            untracedSubCgroups: container.untracedSubCgroups
        )
    }

    /// Opens `process` inside each match, through `<procRoot>/<pid>/root` of its first
    /// process that has it, and checks `functions` in each distinct file (device and
    /// inode): the files to probe, one probe set each, with the build each one is (read
    /// from the file opened, `BinaryIdentityCache`). Each file stays open in `held`, named
    /// by its `path`, for the tracer to be given (`HeldBinaries`; by default closed on
    /// return, for a caller that launches nothing).
    public static func probedFiles(
        process: String,
        functions: [String],
        for resolved: ResolvedTarget,
        procRoot: String,
        holdingIn held: HeldBinaries = HeldBinaries()
    ) throws(StartRefusal) -> [ResolvedTarget.ProbedFile] {
        var files: [ResolvedTarget.ProbedFile] = []
        for match in resolved.matches {
            var lastError: ELFFunctionSymbols.ReadError = .missing
            var opened: (path: String, file: BinaryFile, pid: Int32)?
            for pid in match.pids {
                let root = "\(procRoot)/\(pid)/root"
                do throws(ELFFunctionSymbols.ReadError) {
                    let found = try PathInRoot.open(process, rootDirectory: root)
                    opened = (root + found.resolvedPath, found.file, pid)
                    break
                } catch {
                    // A process that exited since the snapshot, or runs another image: the next.
                    lastError = error
                }
            }
            let name = "\(match.kind) \(match.id)"
            guard let opened else {
                throw .processNotInTarget(process: process, target: name, reason: lastError == .missing ? "does not exist" : lastError.description)
            }
            // The target's own symlinks chose the resolved path: it reaches the program
            // text only if it keeps to the bytes a template's process may hold.
            guard opened.path.utf8.allSatisfy(TemplateValidator.isPathByte) else {
                throw .processNotInTarget(
                    process: process,
                    target: name,
                    reason: "resolves (through symlinks) to a path with characters a probe cannot name"
                )
            }
            if let index = files.firstIndex(where: { $0.device == opened.file.device && $0.inode == opened.file.inode }) {
                files[index].matches.append(match.id)
                continue
            }
            let missing: [String]
            do throws(ELFFunctionSymbols.ReadError) {
                missing = try ELFFunctionSymbols(source: opened.file).missing(functions)
            } catch {
                throw .processNotInTarget(process: process, target: name, reason: error.description)
            }
            guard missing.isEmpty else { throw .functionsMissing(process: "\(process) of \(name)", missing: missing) }
            let identity: BinaryIdentity
            do throws(ELFFunctionSymbols.ReadError) {
                identity = try BinaryIdentityCache.shared.identity(of: opened.file)
            } catch {
                throw .processNotInTarget(process: process, target: name, reason: error.description)
            }
            files.append(
                ResolvedTarget.ProbedFile(
                    path: opened.path,
                    device: opened.file.device,
                    inode: opened.file.inode,
                    pid: opened.pid,
                    matches: [match.id],
                    identity: identity
                )
            )
            held.hold(opened.file, naming: opened.path)
        }
        return files
    }
}
