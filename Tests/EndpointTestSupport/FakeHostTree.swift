import Foundation
import HostSystem
import TraceModel

/// A host's files as the container inventory reads them, in a temporary directory:
/// `proc/<pid>/cgroup` files and `proc/mounts`, a cgroup tree of plain directories (whose
/// inode numbers stand in for cgroup ids, as they are on a real cgroup2 mount), a
/// kubelet log-link directory and a Docker data root. `locations` points an inventory,
/// or an endpoint's settings, at it.
public final class FakeHostTree: @unchecked Sendable {
    public let root: String
    public var procRoot: String { root + "/proc" }
    public var cgroupMount: String { root + "/cgroup" }
    public var containerLogDirectory: String { root + "/log-containers" }
    public var dockerDataRoot: String { root + "/docker" }

    /// `mountsFile`: whether `proc/mounts` names the fake cgroup tree; without it (and
    /// without the `cgroup-v2-mount` override) the inventory finds no cgroup v2.
    public init(mountsFile: Bool = true) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-fake-host-\(UUID().uuidString)").path
        for directory in [procRoot, cgroupMount, containerLogDirectory, dockerDataRoot + "/containers"] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        // Non-process entries of a real /proc, which the walk must pass over.
        try FileManager.default.createDirectory(atPath: procRoot + "/sys", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: procRoot + "/self", withDestinationPath: "1")
        if mountsFile {
            let escaped = cgroupMount.replacingOccurrences(of: " ", with: "\\040")
            try write(
                "proc/mounts",
                "sysfs /sys sysfs rw 0 0\ncgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\ncgroup2 \(escaped) cgroup2 rw,relatime 0 0\n"
            )
        }
    }

    /// Settings pointing an endpoint at this tree (`lambda-settings.yml` keys).
    public var lambdaSettings: [String: String?] {
        ["proc-root": procRoot, "container-log-dir": containerLogDirectory, "docker-data-root": dockerDataRoot]
    }

    public var locations: ContainerInventory.Locations {
        ContainerInventory.Locations(
            procRoot: procRoot,
            cgroupMount: nil,
            containerLogDirectory: containerLogDirectory,
            dockerDataRoot: dockerDataRoot
        )
    }

    /// A process whose `/proc/<pid>/cgroup` holds a v1 line and `0::<cgroup>`; its cgroup
    /// directory is made too (with `makeCgroup`), like the kernel's.
    public func addProcess(_ pid: Int32, cgroup: String, makeCgroup: Bool = true) throws {
        try addProcess(pid, cgroupFile: "4:memory:/process_api\n0::\(cgroup)\n")
        if makeCgroup { try addCgroup(cgroup) }
    }

    /// A process with this `cgroup` file text.
    public func addProcess(_ pid: Int32, cgroupFile: String) throws {
        try FileManager.default.createDirectory(atPath: "\(procRoot)/\(pid)", withIntermediateDirectories: true)
        try write("proc/\(pid)/cgroup", cgroupFile)
    }

    /// A pid listed in `/proc` whose files are gone: the process exited mid-walk.
    public func addVanishedProcess(_ pid: Int32) throws {
        try FileManager.default.createDirectory(atPath: "\(procRoot)/\(pid)", withIntermediateDirectories: true)
    }

    public func addCgroup(_ cgroup: String) throws {
        try FileManager.default.createDirectory(atPath: cgroupMount + cgroup, withIntermediateDirectories: true)
    }

    /// The fake cgroup id of `cgroup`: its directory's inode.
    public func cgroupId(_ cgroup: String) throws -> UInt64 {
        guard let id = CgroupTree.id(ofDirectory: cgroupMount + cgroup) else { throw MissingCgroup(cgroup: cgroup) }
        return id
    }

    public struct MissingCgroup: Error {
        public let cgroup: String
    }

    /// A kubelet-style link (dangling: only its name is read).
    public func addLogLink(_ name: String) throws {
        try FileManager.default.createSymbolicLink(atPath: containerLogDirectory + "/" + name, withDestinationPath: "/var/log/pods/gone/0.log")
    }

    /// Docker's `containers/<id>/config.v2.json` with these bytes.
    public func addDockerConfig(id: String, _ contents: String) throws {
        try FileManager.default.createDirectory(atPath: "\(dockerDataRoot)/containers/\(id)", withIntermediateDirectories: true)
        try write("docker/containers/\(id)/config.v2.json", contents)
    }

    public func dockerConfigPath(id: String) -> String { "\(dockerDataRoot)/containers/\(id)/config.v2.json" }

    /// Writes `text` at `relativePath` below the root.
    public func write(_ relativePath: String, _ text: String) throws {
        try text.write(toFile: root + "/" + relativePath, atomically: false, encoding: .utf8)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }

    deinit { remove() }
}
