/// Where the cgroup hierarchies are mounted, from the mount table (`/proc/mounts`): v2 is
/// not always at `/sys/fs/cgroup` (hybrid hosts mount it at `/sys/fs/cgroup/unified`,
/// beside the v1 controllers' own).
public enum CgroupMountTable {
    /// The mount point of the first `cgroup2` file system in `mounts` (fstab format:
    /// `<device> <mount point> <type> <options> 0 0`); nil when there is none.
    public static func cgroup2MountPoint(in mounts: String) -> String? {
        cgroupMounts(in: mounts).first { $0.isUnified }?.point
    }

    /// A mounted cgroup hierarchy: v2 (`cgroup2`), or v1 with its controllers (the
    /// options, e.g. `rw,relatime,cpu`).
    public struct CgroupMount: Sendable, Equatable {
        public let point: String
        public let isUnified: Bool
        public let options: [String]

        /// A v1 hierarchy that has `controller` (`cpu`, `memory`).
        public func hasV1Controller(_ controller: String) -> Bool { !isUnified && options.contains(controller) }
    }

    /// Every cgroup file system of `mounts`, in order.
    public static func cgroupMounts(in mounts: String) -> [CgroupMount] {
        mounts.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 3, fields[2] == "cgroup2" || fields[2] == "cgroup" else { return nil }
            let options = fields.count > 3 ? fields[3].split(separator: ",").map(String.init) : []
            return CgroupMount(point: unescaped(fields[1]), isUnified: fields[2] == "cgroup2", options: options)
        }
    }

    /// The kernel writes a space, tab, newline and backslash in a mount point as the
    /// octal escapes `\040`, `\011`, `\012` and `\134`.
    static func unescaped(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        let input = Array(field.utf8)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "\\"), index + 3 < input.count {
                let digits = input[(index + 1)...(index + 3)]
                if digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) }),
                    let value = UInt8(String(decoding: digits, as: UTF8.self), radix: 8)
                {
                    bytes.append(value)
                    index += 4
                    continue
                }
            }
            bytes.append(input[index])
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
