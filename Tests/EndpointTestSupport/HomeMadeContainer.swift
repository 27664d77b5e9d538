import Foundation
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// A container made by hand, real enough that a wrong filter shows, since no runtime can
/// start one on these machines (docs/testing.md, "Test
/// containers"): a private root directory holding copies of its binaries and their
/// libraries (`ldd`), processes in their own mount and pid namespaces chrooted into it
/// (`unshare --mount --pid --fork --kill-child chroot ROOT /bin/bash -c COMMAND`), in a real
/// cgroup v2 directory named as a runtime names its containers.
///
/// Its files are its own copies: `/proc/<pid>/root/bin/bash` is another inode than the
/// host's `/bin/bash`, so a uprobe on one does not fire in the other.
///
/// Needs root and a cgroup2 mount. Its cgroups sit in a slice of its own,
/// `<mount>/lambda-test-<pid of the test process>-<random>.slice`, and its root in
/// `$TMPDIR/lambda-test-<pid>-<random>.root`: `remove()` (also called by `deinit`, so a
/// failing test cleans up too) kills its processes and removes both; what a test process
/// killed outright leaves behind, `scripts/prepare-test-machine.sh` removes once that pid is
/// gone.
public final class HomeMadeContainer: @unchecked Sendable {
    /// How the container's cgroup is named, i.e. which runtime it passes for.
    public enum CgroupNaming: Sendable {
        /// `<slice>/docker-<id>.scope`: Docker with the systemd cgroup driver.
        case dockerScope
        /// `<slice>/kubepods-<qos>-pod<uid with _>.slice/cri-containerd-<id>.scope`: a pod's
        /// container under a kubelet with the systemd driver and containerd. `qosClass` is
        /// `burstable` or `besteffort` (`guaranteed` names the slice `kubepods-pod<uid>.slice`).
        case kubernetesPod(uid: String, qosClass: String)
    }

    /// Sleeps for good on a FIFO no one writes (bash's `read` on `/hold`, opened read-write
    /// so the open does not wait): one stable process, no CPU.
    public static let idleCommand = "read -r _ <> /hold"
    /// Forks and allocates without pause: a bash whose `xmalloc`/`xfree` fire all the time.
    public static let busyCommand = "while :; do x=$(echo a b c); y=\"$x$x\"; done"

    /// What prefixes the slices and root directories of these containers.
    public static let namePrefix = "lambda-test-"

    /// 64 random hexadecimal digits.
    public let id: String
    public let naming: CgroupNaming
    /// The container's root directory on the host.
    public let rootDirectory: String
    /// The cgroup2 mount, from `/proc/mounts`.
    public let cgroupMount: String
    /// The container's cgroup below the mount, as `GET /containers` shows it.
    public let cgroupPath: String
    /// `cgroupMount + cgroupPath`.
    public var cgroupDirectory: String { cgroupMount + cgroupPath }
    /// The slice holding the container's cgroups, where its launchers are put.
    public let sliceDirectory: String
    /// The host pid of the container's first process (pid 1 in its namespace): `/bin/bash
    /// -c COMMAND`.
    public private(set) var initPid: Int32 = 0

    private var launchers: [SpawnedProcess] = []
    private var removed = false
    private let lock = NSLock()

    /// Makes the root (copies of `binaries` and their libraries, a FIFO `/hold`), the
    /// cgroup, and starts `/bin/bash -c command` as the container's pid 1; returns once
    /// that bash runs in the root. `binaries` must include `/bin/bash`.
    public init(naming: CgroupNaming = .dockerScope, binaries: [String] = ["/bin/bash"], command: String = HomeMadeContainer.idleCommand) throws {
        guard getuid() == 0 else { throw Failure("a home-made container needs root") }
        let mounts = try String(contentsOfFile: "/proc/mounts", encoding: .utf8)
        guard let mount = CgroupMountTable.cgroup2MountPoint(in: mounts) else { throw Failure("no cgroup2 mount in /proc/mounts") }
        cgroupMount = mount
        id = Self.randomHex(count: 64)
        self.naming = naming
        let instance = "\(Self.namePrefix)\(getpid())-\(Self.randomHex(count: 8))"
        rootDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(instance + ".root").path
        let slice = "/" + instance + ".slice"
        sliceDirectory = mount + slice
        switch naming {
        case .dockerScope:
            cgroupPath = slice + "/docker-\(id).scope"
        case .kubernetesPod(let uid, let qosClass):
            let owner = qosClass == "guaranteed" ? "kubepods" : "kubepods-\(qosClass)"
            let podSlice = "\(owner)-pod\(uid.replacingOccurrences(of: "-", with: "_")).slice"
            cgroupPath = slice + "/" + podSlice + "/cri-containerd-\(id).scope"
        }
        do {
            try makeRoot(binaries: binaries)
            try FileManager.default.createDirectory(atPath: mount + cgroupPath, withIntermediateDirectories: true)
            let (_, child) = try launch(
                #"echo $$ > "$1/cgroup.procs" && exec /usr/bin/unshare --mount --pid --fork --kill-child /usr/sbin/chroot "$2" /bin/bash -c "$3""#,
                arguments: [cgroupDirectory, rootDirectory, command]
            )
            initPid = child
            // Ready once the child is the root's bash (chroot has exec'd it).
            let bash = rootDirectory + "/bin/bash"
            do {
                try Self.waitUntil("pid \(child) runs \(bash)") {
                    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child)/exe")) == bash
                }
            } catch {
                let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child)/exe")) ?? "gone"
                let state = (try? String(contentsOfFile: "/proc/\(child)/status", encoding: .utf8))?.split(separator: "\n").prefix(3) ?? []
                let launcherStderr = lock.withLock { launchers.last?.standardError ?? "" }
                throw Failure("\(error); it runs \(exe) (\(state.joined(separator: ", "))); the launcher's stderr: \(launcherStderr)")
            }
        } catch {
            remove()
            throw error
        }
    }

    deinit { remove() }

    /// The cgroup v2 id of the container's cgroup (its directory's inode).
    public var cgroupId: UInt64? { CgroupTree.id(ofDirectory: cgroupDirectory) }

    /// Host pids of every process in the container's cgroup and below, ascending.
    public var pids: [Int32] {
        Self.directories(atAndBelow: cgroupDirectory).flatMap { directory in
            ((try? String(contentsOfFile: directory + "/cgroup.procs", encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
        }.sorted()
    }

    /// Runs `/bin/bash -c command` inside (the container's namespaces, root and cgroup,
    /// as `docker exec` would) and waits for it: its status and its stdout and stderr.
    public func run(_ command: String) throws -> (status: Int32, output: String) {
        try runCommand("/bin/bash", ["-c", Self.enterScript, "lambda-container-exec", cgroupDirectory, "\(initPid)", command])
    }

    /// Starts `/bin/bash -c command` inside and returns without waiting; its host pid is
    /// `pid` of the result (the launcher, `nsenter`, is moved out of the container's
    /// cgroup, as a runtime's shim is not in it either). Ended by `remove()` at the latest.
    public func spawn(_ command: String) throws -> (launcher: SpawnedProcess, pid: Int32) {
        try launch(Self.enterScript, arguments: [cgroupDirectory, "\(initPid)", command])
    }

    /// Kills every process of the container and removes its cgroups and root directory.
    /// Idempotent; waits up to 10 s for the processes to go.
    public func remove() {
        let alreadyRemoved = lock.withLock {
            defer { removed = true }
            return removed
        }
        guard !alreadyRemoved else { return }
        // cgroup.kill (Linux 5.14) SIGKILLs the whole subtree at once, forks in flight
        // included; one by one for older kernels.
        try? "1".write(toFile: sliceDirectory + "/cgroup.kill", atomically: false, encoding: .utf8)
        for pid in pids { kill(pid, SIGKILL) }
        for launcher in lock.withLock({ launchers }) {
            launcher.send(SIGKILL)
            launcher.waitForExit(timeout: 5)
        }
        try? Self.waitUntil("the processes of \(sliceDirectory) to exit", timeout: 10) {
            guard let events = try? String(contentsOfFile: sliceDirectory + "/cgroup.events", encoding: .utf8) else { return true }
            return events.contains("populated 0")
        }
        // Deepest first: a cgroup directory is removed with rmdir, once it has no children.
        for directory in Self.directories(atAndBelow: sliceDirectory).reversed() { rmdir(directory) }
        try? FileManager.default.removeItem(atPath: rootDirectory)
    }

    // MARK: - Making it

    /// Enters the container's namespaces and root (`nsenter --root --wd`: the target's
    /// chroot and working directory) after moving itself into its cgroup.
    private static let enterScript =
        #"echo $$ > "$1/cgroup.procs" && exec /usr/bin/nsenter --target "$2" --mount --pid --root --wd -- /bin/bash -c "$3""#

    /// Runs the launcher script (`bash -c SCRIPT lambda-container ARGUMENTS...`: the
    /// arguments reach the script as `$1`, `$2`... and are never parsed as shell text),
    /// waits for its first child, and moves the launcher out into the slice: it is the
    /// runtime's part, not the container's.
    private func launch(_ script: String, arguments: [String]) throws -> (SpawnedProcess, Int32) {
        let launcher = try SpawnedProcess(executable: "/bin/bash", arguments: ["-c", script, "lambda-container"] + arguments)
        lock.withLock { launchers.append(launcher) }
        var child: Int32 = 0
        do {
            try Self.waitUntil("the launcher \(launcher.pid) to fork the container's process") {
                guard let found = Self.children(of: launcher.pid).first else { return false }
                child = found
                return true
            }
        } catch {
            let state = (try? String(contentsOfFile: "/proc/\(launcher.pid)/status", encoding: .utf8))?.split(separator: "\n").prefix(3) ?? []
            throw Failure("\(error); launcher \(state.joined(separator: ", ")); its stderr: \(launcher.standardError)")
        }
        try "\(launcher.pid)".write(toFile: sliceDirectory + "/cgroup.procs", atomically: false, encoding: .utf8)
        return (launcher, child)
    }

    private func makeRoot(binaries: [String]) throws {
        try FileManager.default.createDirectory(atPath: rootDirectory, withIntermediateDirectories: true)
        var files = Set<String>()
        for binary in binaries {
            files.insert(binary)
            // `libtinfo.so.6 => /lib/x86_64-linux-gnu/libtinfo.so.6 (0x...)` and
            // `/lib64/ld-linux-x86-64.so.2 (0x...)`: every absolute path is a file to copy.
            let (status, output) = try runCommand("/usr/bin/ldd", [binary])
            guard status == 0 else { throw Failure("ldd \(binary) failed: \(output)") }
            for word in output.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) where word.hasPrefix("/") {
                files.insert(String(word))
            }
        }
        for file in files.sorted() {
            let copy = rootDirectory + file
            try FileManager.default.createDirectory(
                atPath: URL(fileURLWithPath: copy).deletingLastPathComponent().path,
                withIntermediateDirectories: true
            )
            // The bytes of what the path names (links followed), as a file of the root's own.
            try Self.writeExecutable(Data(contentsOf: URL(fileURLWithPath: file).resolvingSymlinksInPath()), to: copy)
        }
        guard mkfifo(rootDirectory + "/hold", 0o600) == 0 else { throw Failure("mkfifo: \(String(cString: strerror(errno)))") }
    }

    // MARK: - Helpers

    /// Written through a close-on-exec descriptor, under the spawn lock: a child spawned
    /// meanwhile by a test running in parallel (an `ldd`, an endpoint) that inherited the
    /// descriptor open for writing would make the container's exec of the copy fail with
    /// ETXTBSY ("Text file busy") for as long as it lives. It did, one run in three.
    static func writeExecutable(_ bytes: Data, to path: String) throws {
        try SpawnedProcess.spawnLock.withLock {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
            guard fd >= 0 else { throw Failure("cannot create \(path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == bytes.count else { throw Failure("cannot write \(path): \(String(cString: strerror(errno)))") }
            fchmod(fd, 0o755)
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    static func randomHex(count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement()! })
    }

    /// `directory` and every directory below it, each before those below it. Up to 65536
    /// children a directory: with 1024, a container given 4,100 sub-cgroups
    /// (`TargetIntegrityRunTests.subtreePastTheCap`) left 3,082 of them behind.
    static func directories(atAndBelow directory: String) -> [String] {
        var directories: [String] = []
        var pending = [directory]
        while let next = pending.popLast() {
            directories.append(next)
            for entry in DirectoryListing.entries(of: next, limit: 1 << 16) ?? [] where entry.isDirectory {
                pending.append(next + "/" + entry.name)
            }
        }
        return directories
    }

    /// Direct children of `pid`, from `/proc/<pid>/task/<pid>/children`.
    static func children(of pid: Int32) -> [Int32] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Polls `condition` every 10 ms (these waits are milliseconds long); throws naming
    /// `what` after `timeout` seconds.
    static func waitUntil(_ what: String, timeout: Double = 10, _ condition: () -> Bool) throws {
        guard blockingEventuallyValue(timeout: .seconds(timeout), poll: .milliseconds(10), { condition() ? true : nil }) != nil else {
            throw Failure("waited \(timeout) s for \(what)")
        }
    }
}
