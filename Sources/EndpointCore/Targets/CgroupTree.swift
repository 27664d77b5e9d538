import Foundation

/// cgroup v2 ids of directories below the cgroup2 mount. A cgroup's id is its
/// directory's inode number: what bpftrace's `cgroupid("<mount>/<path>")` computes and
/// what its `cgroup` builtin gives for a process in that cgroup (checked on this kind of
/// host: `stat -c %i` of the directory, `cgroupid()` of its path and `cgroup` of a process
/// in it are the same number).
///
/// `cgroup` is the id of the process's own cgroup, not of an ancestor: a process in a
/// container's `init.scope` has the id of `init.scope`, not of the container's scope. A
/// filter on a container therefore needs the ids of its whole subtree (`ids(atAndBelow:)`).
public enum CgroupTree {
    /// At most this many directories of a subtree are read (a container with thousands of
    /// sub-cgroups is not one to filter by id).
    public static let maxSubtreeDirectories = 4096

    /// The id of the cgroup at `directory` (an absolute path: the mount and the cgroup's
    /// path); nil when it is not a directory there.
    public static func id(ofDirectory directory: String) -> UInt64? {
        var info = stat()
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
        return UInt64(info.st_ino)
    }

    /// The ids of `directory` and of every directory below it, the directory's own first
    /// (the order of the others is not promised); empty when `directory` is not one. Stops after
    /// `maxSubtreeDirectories` directories.
    public static func ids(atAndBelow directory: String, limit: Int = maxSubtreeDirectories) -> [UInt64] {
        guard let own = id(ofDirectory: directory) else { return [] }
        var ids = [own]
        var pending = [directory]
        while let next = pending.popLast(), ids.count < limit {
            for entry in DirectoryListing.entries(of: next, limit: limit) ?? [] where entry.isDirectory {
                let child = next + "/" + entry.name
                guard ids.count < limit, let childId = id(ofDirectory: child) else { continue }
                ids.append(childId)
                pending.append(child)
            }
        }
        return ids
    }
}
