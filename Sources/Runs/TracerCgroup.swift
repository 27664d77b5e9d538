import Foundation
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// A tracer's own cgroup, with a CPU cap and a memory cap: a tracer cannot take more of
/// the host than `tracer-cpu-percent` of one core and `tracer-memory-mib`, whatever its
/// program does. cgroup v2 (`cpu.max`, `memory.max`) where the unified hierarchy has both
/// controllers; else the v1 `cpu` and `memory` hierarchies (`cpu.cfs_quota_us`,
/// `memory.limit_in_bytes`), as on a hybrid host like this project's machines, where v2
/// has only `hugetlb`. Made before the tracer starts, the tracer moved in right after its
/// spawn (bpftrace parses and attaches for 80 ms or more before its probes are live; all
/// of its threads move with it), removed once it exited. Only as root: through sudo the
/// endpoint cannot write the host's cgroups, and the run says the caps are not applied.
public struct TracerCgroup: Sendable {
    /// One directory per hierarchy the caps are written in.
    public let directories: [String]

    /// What a run says of its caps.
    public enum Outcome: Sendable, Equatable {
        case applied(TracerCgroup.Caps, directories: [String])
        case notApplied(reason: String)
    }

    public struct Caps: Sendable, Equatable {
        public var cpuPercent: Int
        public var memoryMiB: Int

        public init(cpuPercent: Int, memoryMiB: Int) {
            self.cpuPercent = cpuPercent
            self.memoryMiB = memoryMiB
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    static let period = 100_000

    /// Makes `<hierarchy>/lambda-endpoint/<name>` with the caps written, from the mounts in
    /// `mounts` (`/proc/mounts`' text).
    public static func make(name: String, caps: Caps, mounts: String) throws(Failure) -> TracerCgroup {
        let table = CgroupMountTable.cgroupMounts(in: mounts)
        let quota = caps.cpuPercent * period / 100
        let memory = caps.memoryMiB << 20
        if let unified = table.first(where: \.isUnified)?.point,
            let controllers = try? String(contentsOfFile: unified + "/cgroup.controllers", encoding: .utf8),
            Set(controllers.split(whereSeparator: \.isWhitespace)).isSuperset(of: ["cpu", "memory"])
        {
            let parent = unified + "/lambda-endpoint"
            try makeDirectory(parent)
            try? write("+cpu +memory", to: unified + "/cgroup.subtree_control")
            try write("+cpu +memory", to: parent + "/cgroup.subtree_control")
            let directory = parent + "/" + name
            try makeDirectory(directory, new: true, under: parent)
            let cgroup = TracerCgroup(directories: [directory])
            do throws(Failure) {
                try write("\(quota) \(period)", to: directory + "/cpu.max")
                try write("\(memory)", to: directory + "/memory.max")
            } catch {
                cgroup.remove()
                throw error
            }
            return cgroup
        }
        func v1(_ controller: String) -> String? { table.first { $0.hasV1Controller(controller) }?.point }
        guard let cpu = v1("cpu"), let memoryRoot = v1("memory") else {
            throw Failure(description: "no cgroup hierarchy with the cpu and memory controllers")
        }
        var made: [String] = []
        do throws(Failure) {
            for root in [cpu, memoryRoot] {
                try makeDirectory(root + "/lambda-endpoint")
                let directory = root + "/lambda-endpoint/" + name
                try makeDirectory(directory, new: true, under: root + "/lambda-endpoint")
                made.append(directory)
            }
            try write("\(period)", to: made[0] + "/cpu.cfs_period_us")
            try write("\(quota)", to: made[0] + "/cpu.cfs_quota_us")
            try write("\(memory)", to: made[1] + "/memory.limit_in_bytes")
        } catch {
            TracerCgroup(directories: made).remove()
            throw error
        }
        return TracerCgroup(directories: made)
    }

    /// Removes the run cgroups left empty under every hierarchy's `lambda-endpoint` (an
    /// endpoint killed before it removed its tracers' cgroups; a tracer that outlived it
    /// keeps its own, which is not empty), and the parents once empty. Another endpoint on
    /// the host could lose a cgroup it made a moment before moving its tracer in: that
    /// run then reports its caps as not applied.
    public static func sweep(mounts: String) {
        for root in CgroupMountTable.cgroupMounts(in: mounts).map(\.point) {
            let parent = root + "/lambda-endpoint"
            for entry in DirectoryListing.entries(of: parent, limit: 4096) ?? [] where entry.isDirectory {
                _ = rmdir(parent + "/" + entry.name)
            }
            _ = rmdir(parent)
        }
    }

    /// Moves `pid` (all of its threads) into every directory.
    func adopt(_ pid: Int32) throws(Failure) {
        for directory in directories { try Self.write("\(pid)", to: directory + "/cgroup.procs") }
    }

    /// Removes the directories; a cgroup whose last task is still exiting is busy for a
    /// moment, so each is tried for up to a second. The `lambda-endpoint` parents go too
    /// once no run is left in them (another run's still there keeps them), so a host
    /// keeps nothing of the endpoint's when no tracer runs.
    public func remove() {
        for directory in directories.reversed() {
            for _ in 0..<100 {
                if rmdir(directory) == 0 || errno == ENOENT { break }
                usleep(10_000)
            }
            _ = rmdir(URL(fileURLWithPath: directory).deletingLastPathComponent().path)
        }
    }

    /// `new`: the directory must not exist yet (a run's own, never shared). `under`: its
    /// parent, made again if the last run's removal took it away meanwhile.
    private static func makeDirectory(_ path: String, new: Bool = false, under parent: String? = nil) throws(Failure) {
        var made = mkdir(path, 0o755) == 0
        if !made, errno == ENOENT, let parent {
            try makeDirectory(parent)
            made = mkdir(path, 0o755) == 0
        }
        guard made || (!new && errno == EEXIST) else {
            throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    private static func write(_ text: String, to path: String) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if let failure = Array(text.utf8).withUnsafeBytes({ writeAll(fd, $0).failure }) {
            throw Failure(description: "cannot write \(path): \(failure)")
        }
    }
}
