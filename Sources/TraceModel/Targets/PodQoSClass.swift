/// The kubelet's quality-of-service class of a pod, which names the level of its cgroup:
/// guaranteed pods sit right under `kubepods`, the others under `kubepods/burstable` or
/// `kubepods/besteffort` (`kubepods-burstable.slice` with the systemd driver).
public enum PodQoSClass: String, Sendable, Codable, CaseIterable {
    case guaranteed
    case burstable
    case besteffort
}
