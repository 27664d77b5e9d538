import Foundation

/// The entries of a directory, read with `readdir` up to a bound: `/proc` of a busy host,
/// a kubelet's log directory or a cgroup tree can be large, and a listing that stops at
/// the bound is better than one that takes the endpoint's memory. `.` and `..` are left
/// out; nil when the directory cannot be opened (missing, not a directory, no access).
public enum DirectoryListing {
    public struct Entry: Sendable, Equatable {
        public let name: String
        /// From the entry's `d_type`; false also where the file system does not say
        /// (`DT_UNKNOWN`), which procfs, kernfs (cgroups) and the usual disk file systems do.
        public let isDirectory: Bool
    }

    public static func entries(of path: String, limit: Int) -> [Entry]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var entries: [Entry] = []
        while entries.count < limit, let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name != ".", name != ".." else { continue }
            entries.append(Entry(name: name, isDirectory: entry.pointee.d_type == UInt8(DT_DIR)))
        }
        return entries
    }
}
