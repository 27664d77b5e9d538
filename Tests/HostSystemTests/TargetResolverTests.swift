import EndpointTestSupport
import Foundation
import HostSystem
import Testing
import TraceModel

/// Targets resolved against a host made of files (`FakeHostTree`): what each kind
/// matches, its refusals, the filter it gets, and the files found through
/// `<proc-root>/<pid>/root` (one per device and inode, symlinks resolved inside the root).
@Suite("TargetResolver: targets on a fake host")
struct TargetResolverTests {
    static let dockerId = "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d"
    static let apiId = "605439acbd4fb18c145069289094b17f17e0cfa938f78012d4960bc797305f22"
    static let webId = "605439acbd4fb18c14506928aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    static let podSlice = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod5a1d1140_a486_478c_afae_bbc975ff9c3b.slice"
    static let dockerCgroup = "/system.slice/docker-\(dockerId).scope"

    /// A Docker container (pids 401 and 402, the second in its init.scope), a pod with
    /// containers api (501) and web (502), a host process (300).
    static func host() throws -> FakeHostTree {
        let tree = try FakeHostTree()
        try tree.addProcess(300, cgroup: "/system.slice/ssh.service")
        try tree.addProcess(401, cgroup: dockerCgroup)
        try tree.addProcess(402, cgroup: dockerCgroup + "/init.scope")
        try tree.addProcess(501, cgroup: podSlice + "/cri-containerd-\(apiId).scope")
        try tree.addProcess(502, cgroup: podSlice + "/cri-containerd-\(webId).scope")
        try tree.addLogLink("shop-1_prod_api-\(apiId).log")
        try tree.addLogLink("shop-1_prod_web-\(webId).log")
        return tree
    }

    func resolve(_ tree: FakeHostTree, _ target: TargetRequest, maxTargets: Int = 64) throws(StartRefusal) -> ResolvedTarget {
        try TargetResolver(snapshot: ContainerInventory(locations: tree.locations).readSnapshot(), maxTargets: maxTargets).resolve(target)
    }

    func refusal(_ tree: FakeHostTree, _ target: TargetRequest, maxTargets: Int = 64) -> StartRefusal? {
        do {
            _ = try resolve(tree, target, maxTargets: maxTargets)
            return nil
        } catch {
            return error
        }
    }

    @Test("A container by a prefix: its subtree's cgroup ids, its pids, filtered by cgroup")
    func container() throws {
        let tree = try Self.host()
        let resolved = try resolve(tree, .container(idOrPrefix: "9ec39b91f3d7"))
        let ids = [try tree.cgroupId(Self.dockerCgroup), try tree.cgroupId(Self.dockerCgroup + "/init.scope")]
        #expect(resolved.filter == .cgroup)
        #expect(resolved.matches.count == 1)
        let match = try #require(resolved.matches.first)
        #expect(match.kind == "container" && match.id == Self.dockerId && match.cgroup == Self.dockerCgroup)
        #expect(match.cgroupId == ids[0] && Set(match.cgroupIds) == Set(ids))
        #expect(match.pids == [401, 402])
        #expect(resolved.filterValues == ids.sorted())
    }

    @Test("A pod glob: every container of the pods it matches, with names; a container glob narrows it")
    func pod() throws {
        let tree = try Self.host()
        let both = try resolve(tree, .pod(pod: NameGlob("shop-*"), namespace: nil, container: nil))
        #expect(both.matches.map(\.id) == [Self.apiId, Self.webId])
        #expect(both.matches.map(\.name) == ["api", "web"])
        #expect(both.matches.allSatisfy { $0.pod == "shop-1" && $0.namespace == "prod" && $0.kind == "container" })
        let web = try resolve(tree, .pod(pod: nil, namespace: NameGlob("prod"), container: NameGlob("w?b")))
        #expect(web.matches.map(\.id) == [Self.webId])
    }

    @Test("A pid: its own cgroup and container, filtered by that pid")
    func pid() throws {
        let tree = try Self.host()
        let resolved = try resolve(tree, .pid(402))
        #expect(resolved.filter == .pids && resolved.filterValues == [402])
        let match = try #require(resolved.matches.first)
        #expect(match.kind == "pid" && match.id == "402" && match.pids == [402])
        let initScope = try tree.cgroupId(Self.dockerCgroup + "/init.scope")
        #expect(match.cgroup == Self.dockerCgroup + "/init.scope" && match.cgroupId == initScope)
        let host = try resolve(tree, .pid(300))
        #expect(host.matches.first?.name == nil && host.matches.first?.pod == nil)
    }

    @Test("A cgroup: every process in it and below, and the ids of its subtree")
    func cgroup() throws {
        let tree = try Self.host()
        let resolved = try resolve(tree, .cgroup("/system.slice"))
        #expect(resolved.filter == .cgroup)
        #expect(resolved.matches.first?.pids == [300, 401, 402])
        #expect(resolved.matches.first?.cgroupIds.count == 4, "system.slice, ssh.service, the docker scope and its init.scope")
    }

    @Test("Without cgroup v2 ids the filter is the pids at start")
    func pidsWithoutCgroupV2() throws {
        let tree = try FakeHostTree(mountsFile: false)
        try tree.addProcess(401, cgroup: Self.dockerCgroup)
        let resolved = try resolve(tree, .container(idOrPrefix: Self.dockerId))
        #expect(resolved.filter == .pids && resolved.filterValues == [401])
        #expect(resolved.matches.first?.cgroupId == nil)
    }

    @Test("Refusals: 404 naming what matched nothing, 400 for an ambiguous prefix and beyond max-targets-per-run")
    func refusals() throws {
        let tree = try Self.host()
        let none = refusal(tree, .container(idOrPrefix: "ffffffffffff"))
        #expect(none?.message == "target: no container ffffffffffff on this host" && none?.answer == .notFound)
        #expect(refusal(tree, .pid(999))?.message == "target: no pid 999 on this host")
        #expect(
            refusal(tree, .pod(pod: NameGlob("cart-*"), namespace: nil, container: nil))?.message
                == #"target: no pod "cart-*" in namespace "*", container "*" on this host"#
        )
        #expect(refusal(tree, .cgroup("/nothing"))?.message == "target: no process in cgroup /nothing on this host")
        let ambiguous = refusal(tree, .container(idOrPrefix: "605439acbd4f"))
        #expect(
            ambiguous?.message
                == "target.container: 605439acbd4f begins the ids of 2 containers (\(Self.apiId), \(Self.webId)); give more digits"
        )
        #expect(ambiguous?.answer == .badRequest)
        let many = refusal(tree, .pod(pod: NameGlob("*"), namespace: nil, container: nil), maxTargets: 1)
        #expect(
            many?.message == #"target: pod "*" in namespace "*", container "*" matches 2 containers, more than max-targets-per-run (1); narrow it"#
        )
        #expect(many?.answer == .badRequest)
    }

    /// `<proc-root>/<pid>/root/<path>` holding a copy of /bin/bash.
    static func copyBash(_ tree: FakeHostTree, pid: Int32, to path: String = "/bin/bash") throws {
        let target = "\(tree.procRoot)/\(pid)/root\(path)"
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/bash", toPath: target)
    }

    @Test("Files: found through a process's root, one per device and inode, functions checked in each")
    func probedFiles() throws {
        let tree = try Self.host()
        // api and web run the same file (one root); the Docker container a copy of its own,
        // found through its second process (the first one's root has no bash).
        try Self.copyBash(tree, pid: 501)
        try FileManager.default.createSymbolicLink(atPath: "\(tree.procRoot)/502/root", withDestinationPath: "\(tree.procRoot)/501/root")
        try FileManager.default.createDirectory(atPath: "\(tree.procRoot)/401/root", withIntermediateDirectories: true)
        try Self.copyBash(tree, pid: 402)
        var resolved = try resolve(tree, .pod(pod: NameGlob("*"), namespace: nil, container: nil))
        resolved.matches += try resolve(tree, .container(idOrPrefix: Self.dockerId)).matches
        let files = try TargetResolver.probedFiles(process: "/bin/bash", functions: ["xmalloc", "xfree"], for: resolved, procRoot: tree.procRoot)
        #expect(files.map(\.path) == ["\(tree.procRoot)/501/root/bin/bash", "\(tree.procRoot)/402/root/bin/bash"])
        #expect(files.map(\.matches) == [[Self.apiId, Self.webId], [Self.dockerId]])
        #expect(files.map(\.pid) == [501, 402])
        #expect(files[0].inode != files[1].inode)

        do {
            _ = try TargetResolver.probedFiles(
                process: "/bin/bash",
                functions: ["xmalloc", "no_such_function"],
                for: resolved,
                procRoot: tree.procRoot
            )
            Issue.record("a missing function is refused")
        } catch {
            #expect(error.message == "functions: not in /bin/bash of container \(Self.apiId): no_such_function")
        }
        do {
            _ = try TargetResolver.probedFiles(process: "/usr/sbin/nginx", functions: ["main"], for: resolved, procRoot: tree.procRoot)
            Issue.record("a file the target does not have is refused")
        } catch {
            #expect(error.message == "process: '/usr/sbin/nginx' does not exist in container \(Self.apiId)")
            #expect(error.answer == .badRequest)
        }
    }

    @Test("An absolute symlink inside the root is resolved inside it, not on the host")
    func symlinkInsideRoot() throws {
        let tree = try Self.host()
        try Self.copyBash(tree, pid: 501, to: "/usr/local/bin/bash")
        let root = "\(tree.procRoot)/501/root"
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/bin/bash", withDestinationPath: "/usr/local/bin/../bin/bash")
        let resolved = try resolve(tree, .container(idOrPrefix: Self.apiId))
        let files = try TargetResolver.probedFiles(process: "/bin/bash", functions: ["xmalloc"], for: resolved, procRoot: tree.procRoot)
        #expect(files.map(\.path) == [root + "/usr/local/bin/bash"])
        var copy = stat()
        #expect(stat(root + "/usr/local/bin/bash", &copy) == 0)
        #expect(files.first?.inode == UInt64(copy.st_ino), "the root's copy, not the host's /usr/local/bin/bash or /bin/bash")
    }

    @Test("A symlink of the target's that resolves to a path a probe cannot name is refused, not written into the program")
    func hostileSymlink() throws {
        let tree = try Self.host()
        try Self.copyBash(tree, pid: 501, to: "/opt/a:b { system(1) }/bash")
        let root = "\(tree.procRoot)/501/root"
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/bin/bash", withDestinationPath: "/opt/a:b { system(1) }/bash")
        let resolved = try resolve(tree, .container(idOrPrefix: Self.apiId))
        do {
            _ = try TargetResolver.probedFiles(process: "/bin/bash", functions: ["xmalloc"], for: resolved, procRoot: tree.procRoot)
            Issue.record("the path is refused")
        } catch {
            #expect(
                error.message
                    == "process: '/bin/bash' resolves (through symlinks) to a path with characters a probe cannot name in container \(Self.apiId)"
            )
        }
    }
}
