/// What a process's cgroup path says about the container it runs in: the container's id,
/// its runtime, the container's own cgroup and, below the kubelet's cgroups, its pod.
/// Pure: the path is all it reads (`/proc/<pid>/cgroup`'s `0::` line).
///
/// The shapes it knows, from the runtimes' and the kubelet's naming:
/// - systemd cgroup driver, a scope per container: `docker-<id>.scope` (Docker, also
///   cri-dockerd under the kubelet), `cri-containerd-<id>.scope` and `nerdctl-<id>.scope`
///   (containerd), `crio-<id>.scope` (CRI-O), `libpod-<id>.scope` (Podman), wherever they sit
///   (`system.slice`, `machine.slice`, a user's slice, a pod's slice);
/// - cgroupfs driver: `/docker/<id>`, CRI-O's `crio-<id>` and Podman's `libpod-<id>`
///   directories, and a bare `<id>` right under a kubelet pod directory
///   (`/kubepods/besteffort/pod<uid>/<id>`, any runtime: `runtime` is nil);
/// - containerd's CRI plugin without `SystemdCgroup = true` below a systemd kubelet,
///   which writes the systemd-style name literally: `kubepods-...-pod<uid>.slice:cri-containerd:<id>`.
///
/// Monitors are not containers: `libpod-conmon-<id>.scope` and `crio-conmon-<id>.scope` hold
/// Podman's and CRI-O's `conmon`, not the container's processes. When containers nest
/// (Docker in Docker, a container under a pod's container) the innermost one is the
/// process's; components below it (`init.scope` of a systemd inside, crun's `container`)
/// are the container's own sub-cgroups.
public struct ContainerCgroupPath: Sendable, Equatable {
    public let containerId: String
    /// nil where the path does not tell (the kubelet's cgroupfs driver names every
    /// runtime's containers by their bare id).
    public let runtime: ContainerRuntime?
    /// The container's cgroup, below the cgroup v2 mount: the path up to the component
    /// that names it. Its processes may sit in cgroups below it.
    public let containerCgroup: String
    /// The pod whose cgroup holds the container's, when the kubelet made it.
    public let pod: PodCgroup?

    public init(containerId: String, runtime: ContainerRuntime?, containerCgroup: String, pod: PodCgroup?) {
        self.containerId = containerId
        self.runtime = runtime
        self.containerCgroup = containerCgroup
        self.pod = pod
    }

    /// Scope and directory prefixes, `<prefix>-<id>[.scope]`.
    static let namedPrefixes: [(prefix: String, runtime: ContainerRuntime)] = [
        ("docker", .docker), ("cri-containerd", .containerd), ("nerdctl", .containerd), ("crio", .crio), ("libpod", .podman),
    ]

    /// The container of a cgroup v2 path such as `/system.slice/docker-<id>.scope`; nil
    /// when no component names one. A path that is not absolute or holds `..` (a cgroup
    /// outside the reader's cgroup namespace) or that ends in ` (deleted)` (the kernel's
    /// mark for a cgroup being removed) is none.
    public static func parse(_ path: String) -> ContainerCgroupPath? {
        guard path.hasPrefix("/"), !path.hasSuffix(" (deleted)") else { return nil }
        let components = path.split(separator: "/")
        guard !components.contains(where: { $0 == "." || $0 == ".." }) else { return nil }
        for index in components.indices.reversed() {
            guard let named = namedContainer(components, at: index) else { continue }
            let pod = named.pod ?? components.indices[..<index].reversed().lazy.compactMap { podCgroup(components, at: $0) }.first
            let containerCgroup = "/" + components[...index].joined(separator: "/")
            return ContainerCgroupPath(containerId: named.id, runtime: named.runtime, containerCgroup: containerCgroup, pod: pod)
        }
        return nil
    }

    private static func namedContainer(_ components: [Substring], at index: Int) -> (id: String, runtime: ContainerRuntime?, pod: PodCgroup?)? {
        let component = components[index]
        let colonParts = component.split(separator: ":", omittingEmptySubsequences: false)
        if colonParts.count == 3 {
            guard let runtime = namedPrefixes.first(where: { $0.prefix == colonParts[1] })?.runtime, ContainerID.isFull(colonParts[2]) else {
                return nil
            }
            return (String(colonParts[2]), runtime, PodCgroup.systemdSlice(colonParts[0]))
        }
        let name = component.hasSuffix(".scope") ? component.dropLast(".scope".count) : component
        for (prefix, runtime) in namedPrefixes where name.hasPrefix(prefix + "-") {
            // `libpod-conmon-<id>` and `crio-conmon-<id>` fail here: "conmon-<id>" is no id.
            let id = name.dropFirst(prefix.count + 1)
            if ContainerID.isFull(id) { return (String(id), runtime, nil) }
        }
        guard ContainerID.isFull(component), index > 0 else { return nil }
        if components[index - 1] == "docker" { return (String(component), .docker, nil) }
        if PodCgroup.cgroupfsDirectory(components, at: index - 1) != nil { return (String(component), nil, nil) }
        return nil
    }

    private static func podCgroup(_ components: [Substring], at index: Int) -> PodCgroup? {
        PodCgroup.systemdSlice(components[index]) ?? PodCgroup.cgroupfsDirectory(components, at: index)
    }
}
