/// `/proc/<pid>/cgroup`: a line per hierarchy, `<id>:<controllers>:<path>`. cgroup v2's is
/// `0::<path>`, and it is the one that matters: bpftrace's `cgroup` and `cgroupid()` are
/// cgroup v2 ids.
public enum ProcessCgroupFile {
    /// Which hierarchy a path was read from.
    public enum Hierarchy: Sendable, Equatable {
        /// cgroup v2 (`0::`): the path names a directory below the cgroup2 mount.
        case unified
        /// cgroup v1's `name=systemd` hierarchy, read on a host where cgroup v2 was never
        /// mounted (no `0::` line): systemd names containers there as in v2, but the path
        /// has no cgroup v2 id.
        case systemdV1
    }

    /// The process's cgroup path: the `0::` line's, else the `name=systemd` line's; nil
    /// when the text has neither.
    public static func path(in text: String) -> (path: String, hierarchy: Hierarchy)? {
        var systemdPath: String?
        for line in text.split(separator: "\n") {
            // The path itself may hold colons (containerd's `<slice>:cri-containerd:<id>`).
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[0] == "0", fields[1].isEmpty { return (String(fields[2]), .unified) }
            if systemdPath == nil, fields[1] == "name=systemd" { systemdPath = String(fields[2]) }
        }
        return systemdPath.map { ($0, .systemdV1) }
    }

    /// Whether `path` lies outside the reader's cgroup namespace: the kernel writes such a
    /// cgroup relative to the reader's own, with `..` components (an endpoint in a private
    /// cgroup namespace, such as a pod's, reads `/../../system.slice/...`). No container
    /// can be told from such a path, and its directory is not below the reader's mount.
    public static func isOutsideNamespace(_ path: String) -> Bool {
        path.split(separator: "/").contains("..")
    }
}
