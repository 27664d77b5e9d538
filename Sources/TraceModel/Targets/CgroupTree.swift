import Foundation

/// cgroup v2 ids of directories below the cgroup2 mount. A cgroup's id is its
/// directory's inode number: what bpftrace's `cgroupid("<mount>/<path>")` computes and
/// what its `cgroup` builtin gives for a process in that cgroup (checked on this kind of
/// host: `stat -c %i` of the directory, `cgroupid()` of its path and `cgroup` of a process
/// in it are the same number).
///
/// `cgroup` is the id of the process's own cgroup, not of an ancestor: a process in a
/// container's `init.scope` has the id of `init.scope`, not of the container's scope. A
/// filter on a container therefore needs the ids of its whole subtree (`subtree(atAndBelow:)`).
public enum CgroupTree {
    /// At most this many directories of a subtree are filtered by (a container with
    /// thousands of sub-cgroups is not one to filter by id); the rest are counted.
    public static let maxSubtreeDirectories = 4096
    /// At most this many directories of a subtree are counted: past it, `untraced` is a
    /// lower bound. Bounds the walk's pending paths (about 100 bytes each) to a few MB.
    public static let maxCountedDirectories = 1 << 16

    /// The ids a filter takes from a subtree, and how many of its directories it leaves out.
    public struct Subtree: Sendable, Equatable {
        /// The directory's own id first, then those below it (the order of the others is
        /// not promised); at most `maxSubtreeDirectories`.
        public var ids: [UInt64]
        /// Directories below past the limit, which a filter by `ids` does not trace
        /// (counted up to `maxCountedDirectories` directories in all).
        public var untraced: Int

        public init(ids: [UInt64], untraced: Int) {
            self.ids = ids
            self.untraced = untraced
        }
    }

    /// The id of the cgroup at `directory` (an absolute path: the mount and the cgroup's
    /// path); nil when it is not a directory there.
    public static func id(ofDirectory directory: String) -> UInt64? {
        var info = stat()
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
        return UInt64(info.st_ino)
    }

    /// The ids of `directory` and of the directories below it, up to `limit`, and the
    /// count of those past it; empty when `directory` is not one. A cut filter is not a
    /// silent one: callers show `untraced` (the run's status, `doctor`).
    public static func subtree(atAndBelow directory: String, limit: Int = maxSubtreeDirectories) -> Subtree {
        guard let own = id(ofDirectory: directory) else { return Subtree(ids: [], untraced: 0) }
        var ids = [own]
        var counted = 1
        var pending = [directory]
        while let next = pending.popLast(), counted < maxCountedDirectories {
            // A cgroup directory lists its own files (about 30) beside its children.
            for entry in DirectoryListing.entries(of: next, limit: maxCountedDirectories + 64) ?? [] where entry.isDirectory {
                guard counted < maxCountedDirectories else { break }
                let child = next + "/" + entry.name
                if ids.count < limit {
                    guard let childId = id(ofDirectory: child) else { continue }
                    ids.append(childId)
                }
                counted += 1
                pending.append(child)
            }
        }
        return Subtree(ids: ids, untraced: counted - ids.count)
    }
}
