import EndpointTestSupport
import Foundation
import HostSystem
import Synchronization
import Testing
import TraceModel

/// The inventory against a host made of files (`FakeHostTree`): which processes make
/// which containers, where names come from, and what it does with files that are not
/// what they should be.
@Suite("ContainerInventory: a fake host's processes, cgroups, log links and Docker records")
struct ContainerInventoryTests {
    static let dockerId = "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d"
    static let podId = "605439acbd4fb18c145069289094b17f17e0cfa938f78012d4960bc797305f22"
    static let pauseId = "14011c7d92a9e513dfd69211da0413dbf319a5e45a02b354ba6e98e10272542d"
    static let bareId = "01aa0bfe91e8a58da5f1f4db469fa999fe9263c702111e611445cde2b9cb0c1a"
    static let podUID = "5a1d1140-a486-478c-afae-bbc975ff9c3b"
    static let podSlice = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod5a1d1140_a486_478c_afae_bbc975ff9c3b.slice"
    static let dockerCgroup = "/system.slice/docker-\(dockerId).scope"
    static let podCgroup = podSlice + "/cri-containerd-\(podId).scope"
    static let pauseCgroup = podSlice + "/cri-containerd-\(pauseId).scope"

    /// A host with a Docker container (two processes, one in its init.scope), a pod with an
    /// app container and its sandbox, host processes, a vanished pid and odd entries.
    static func host() throws -> FakeHostTree {
        let tree = try FakeHostTree()
        try tree.addProcess(1, cgroup: "/init.scope")
        try tree.addProcess(300, cgroup: "/system.slice/ssh.service")
        try tree.addProcess(401, cgroup: dockerCgroup)
        try tree.addProcess(402, cgroup: dockerCgroup + "/init.scope")
        try tree.addProcess(501, cgroup: podCgroup)
        try tree.addProcess(502, cgroup: pauseCgroup)
        try tree.addProcess(600, cgroup: "/machine.slice/libpod-conmon-\(dockerId).scope")
        try tree.addVanishedProcess(700)
        try tree.addProcess(701, cgroupFile: "")
        try tree.addDockerConfig(id: dockerId, #"{"ID":"\#(dockerId)","Name":"/web","Config":{"Env":["A=1"]}}"#)
        try tree.addLogLink("shop-7d4b9c-x2x9z_prod_api-\(podId).log")
        try tree.addLogLink("not-a-kubelet-link.log")
        return tree
    }

    @Test("Containers with runtime, names, pods, cgroups, cgroup ids and pids; host processes are not containers")
    func inventory() throws {
        let tree = try Self.host()
        let snapshot = ContainerInventory(locations: tree.locations).readSnapshot()
        #expect(snapshot.cgroupMount == tree.cgroupMount)
        #expect(snapshot.containers.map(\.id) == [Self.pauseId, Self.podId, Self.dockerId])
        let docker = try #require(snapshot.containers.first { $0.id == Self.dockerId })
        #expect(docker.runtime == .docker)
        #expect(docker.name == "web")
        #expect(docker.pod == nil)
        #expect(docker.cgroup == Self.dockerCgroup)
        #expect(docker.pids == [401, 402])
        #expect(docker.cgroupId == (try tree.cgroupId(Self.dockerCgroup)))
        #expect(Set(docker.subtreeCgroupIds) == [try tree.cgroupId(Self.dockerCgroup), try tree.cgroupId(Self.dockerCgroup + "/init.scope")])
        let app = try #require(snapshot.containers.first { $0.id == Self.podId })
        #expect(app.runtime == .containerd)
        #expect(app.name == "api")
        #expect(app.pod == HostContainer.Pod(name: "shop-7d4b9c-x2x9z", namespace: "prod", uid: Self.podUID, qosClass: .burstable))
        #expect(app.pids == [501])
        let pause = try #require(snapshot.containers.first { $0.id == Self.pauseId })
        #expect(pause.name == nil, "the sandbox has no log link")
        #expect(pause.pod?.name == "shop-7d4b9c-x2x9z", "named by its sibling of the same pod uid")
        #expect(snapshot.processCgroups[300] == "/system.slice/ssh.service")
        #expect(snapshot.processCgroups[700] == nil && snapshot.processCgroups[701] == nil)
        #expect(snapshot.processes(inCgroup: Self.podSlice) == [501, 502])
    }

    @Test("GET /containers' JSON: docs/openapi.yaml's keys, null where unknown, cgroupId, conflict and untracedSubCgroups beside them")
    func json() throws {
        let tree = try Self.host()
        let snapshot = ContainerInventory(locations: tree.locations).readSnapshot()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let pause = try #require(snapshot.containers.first { $0.id == Self.pauseId })
        let docker = try #require(snapshot.containers.first { $0.id == Self.dockerId })
        #expect(
            String(decoding: try encoder.encode(pause), as: UTF8.self)
                == #"{"cgroup":"\#(Self.pauseCgroup)","cgroupId":\#(try tree.cgroupId(Self.pauseCgroup)),"conflict":null,"id":"\#(Self.pauseId)","name":null,"#
                + #""pids":[502],"pod":{"name":"shop-7d4b9c-x2x9z","namespace":"prod","qosClass":"burstable","uid":"\#(Self.podUID)"},"runtime":"containerd","#
                + #""untracedSubCgroups":0}"#
        )
        let decoded = try APIResponse.decode(ContainerAnswer.self, from: try encoder.encode(docker))
        #expect(decoded.pod == nil && decoded.runtime == "docker" && decoded.name == "web")
    }

    @Test("A bare id under a cgroupfs pod is Docker's when Docker keeps a record of it, else of no known runtime")
    func bareIds() throws {
        let tree = try FakeHostTree()
        let otherBare = String(Self.bareId.reversed())
        try tree.addProcess(10, cgroup: "/kubepods/besteffort/pod\(Self.podUID)/\(Self.bareId)")
        try tree.addProcess(11, cgroup: "/kubepods/besteffort/pod\(Self.podUID)/\(otherBare)")
        try tree.addDockerConfig(id: Self.bareId, #"{"Name":"/k8s_app_shop_prod_\#(Self.podUID)_0"}"#)
        let snapshot = ContainerInventory(locations: tree.locations).readSnapshot()
        #expect(snapshot.containers.first { $0.id == Self.bareId }?.runtime == .docker)
        #expect(snapshot.containers.first { $0.id == otherBare }?.runtime == nil)
        #expect(snapshot.containers.first { $0.id == otherBare }?.pod?.qosClass == .besteffort)
    }

    @Test("Bad records give no name: broken JSON, a file over 1 MiB, a FIFO, a directory; the container is still listed")
    func badRecords() async throws {
        let tree = try FakeHostTree()
        let ids = (0..<4).map { String(repeating: "\($0)", count: 12) + String(Self.dockerId.dropFirst(12)) }
        for (index, id) in ids.enumerated() { try tree.addProcess(Int32(10 + index), cgroup: "/system.slice/docker-\(id).scope") }
        try tree.addDockerConfig(id: ids[0], #"{"Name":"/web""#)
        // Sparse: 1 MiB of zeros and a name after it, so only a read past the bound finds it.
        try tree.addDockerConfig(id: ids[1], "")
        let huge = try FileHandle(forWritingTo: URL(fileURLWithPath: tree.dockerConfigPath(id: ids[1])))
        try huge.seek(toOffset: UInt64(DockerContainerConfig.maxBytes))
        try huge.write(contentsOf: Data(#"{"Name":"/huge"}"#.utf8))
        try huge.close()
        try FileManager.default.createDirectory(atPath: "\(tree.dockerDataRoot)/containers/\(ids[2])", withIntermediateDirectories: true)
        #expect(mkfifo(tree.dockerConfigPath(id: ids[2]), 0o600) == 0)
        try FileManager.default.createDirectory(atPath: tree.dockerConfigPath(id: ids[3]), withIntermediateDirectories: true)
        let snapshot = try #require(
            await withTimeout(seconds: 10) { ContainerInventory(locations: tree.locations).readSnapshot() },
            "a FIFO must not block the reading"
        )
        #expect(snapshot.containers.map(\.id) == ids)
        #expect(snapshot.containers.allSatisfy { $0.name == nil && $0.runtime == .docker })
    }

    @Test("Without a cgroup2 line in the mount table nothing has a cgroup id; cgroup-v2-mount names the mount instead")
    func mountOverride() throws {
        let tree = try FakeHostTree(mountsFile: false)
        try tree.addProcess(10, cgroup: Self.dockerCgroup)
        var locations = tree.locations
        #expect(ContainerInventory(locations: locations).readSnapshot().containers.first?.cgroupId == nil)
        locations.cgroupMount = tree.cgroupMount
        let snapshot = ContainerInventory(locations: locations).readSnapshot()
        #expect(snapshot.containers.first?.cgroupId == (try tree.cgroupId(Self.dockerCgroup)))
    }

    @Test("A v1-only host: containers from the name=systemd line, with pids and no cgroup id")
    func cgroupV1Only() throws {
        let tree = try FakeHostTree()
        try tree.addProcess(10, cgroupFile: "3:memory:/docker/\(Self.dockerId)\n1:name=systemd:/docker/\(Self.dockerId)\n")
        try tree.addCgroup("/docker/\(Self.dockerId)")
        let container = try #require(ContainerInventory(locations: tree.locations).readSnapshot().containers.first)
        #expect(container.id == Self.dockerId && container.pids == [10] && container.cgroupId == nil)
    }

    @Test("Nothing in containers: an empty list; missing directories are no error")
    func empty() async throws {
        let tree = try FakeHostTree()
        try tree.addProcess(1, cgroup: "/init.scope")
        #expect(try await ContainerInventory(locations: tree.locations).snapshot().containers == [])
        let nowhere = ContainerInventory.Locations(
            procRoot: tree.root + "/none",
            cgroupMount: nil,
            containerLogDirectory: "/none",
            dockerDataRoot: "/none"
        )
        #expect(ContainerInventory(locations: nowhere).readSnapshot().containers == [])
    }

    @Test("The inventory reads on its pool's threads: with the only one stuck, a listing is refused in time instead of waiting")
    func throughItsPool() async throws {
        let tree = try FakeHostTree()
        let pool = BlockingWorkPool(label: "inventory-test", threads: 1, maxWaiting: 1, timeout: .milliseconds(300))
        let inventory = ContainerInventory(locations: tree.locations, pool: pool)
        #expect(try await inventory.snapshot().containers == [])
        let release = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        defer { release.signal() }
        // The stuck work must get the thread: on a busy machine it can wait out the
        // pool's 300 ms in line behind the listing above and be dropped unstarted, and
        // then nothing holds the thread. So it is offered again until it runs.
        var stuck: [Task<Void, Never>] = []
        try await eventually("the stuck work starts on the pool's thread") {
            stuck.append(
                Task {
                    try? await pool.run {
                        started.signal()
                        release.wait()
                    }
                }
            )
            return started.wait(timeout: .now() + .milliseconds(400)) == .success
        }
        try await eventually("the stuck work holds the pool's thread") {
            do throws(BlockingWorkPool.Failure) {
                _ = try await inventory.snapshot()
                return false
            } catch {
                return error == .saturated
            }
        }
        release.signal()
        for task in stuck { _ = await task.value }
    }

    @Test("The real host: every listed container's processes are in its cgroup")
    func realHost() throws {
        let snapshot = ContainerInventory(
            locations: ContainerInventory.Locations(
                procRoot: "/proc",
                cgroupMount: nil,
                containerLogDirectory: "/var/log/containers",
                dockerDataRoot: "/var/lib/docker"
            )
        ).readSnapshot()
        #expect(snapshot.processCgroups[getpid()] != nil, "this test process is listed")
        for container in snapshot.containers {
            #expect(container.pids.allSatisfy { snapshot.processCgroups[$0]?.hasPrefix(container.cgroup) == true })
        }
    }
}

/// `work` on a thread of its own, or nil after `seconds`: a test of something that must
/// not block fails instead of hanging the suite.
func withTimeout<T: Sendable>(seconds: Double, _ work: @escaping @Sendable () -> T) async -> T? {
    let pool = BlockingWorkPool(label: "test-timeout", threads: 1, maxWaiting: 1, timeout: .milliseconds(Int(seconds * 1000)))
    return try? await pool.run(work)
}
