/// The container runtimes whose cgroup naming `ContainerCgroupPath` recognises, spelled
/// as `GET /containers` answers them.
public enum ContainerRuntime: String, Sendable, Codable, CaseIterable {
    case docker
    /// containerd through its CRI plugin (`cri-containerd-<id>.scope`) or nerdctl.
    case containerd
    case crio = "cri-o"
    case podman
}
